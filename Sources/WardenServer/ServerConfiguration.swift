import Foundation
import WardenCore
import WardenSandbox
import WardenServing
import Yams

/// How `warden serve` runs: flags, or a YAML file given with `--config`
/// (flags win). Keys in the file: see `settings` (`data`, `host`, `port`, `trust`,
/// `require_signature`, `max_blob_size`, `allow_anonymous_read`.
public struct ServerConfiguration: Sendable, Equatable {
    public var dataDirectory = "./warden-data"
    /// A PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE) for the registry's metadata,
    /// shared by every replica; nil keeps it in DATA/warden.db (SQLite).
    public var metadata: String?
    public var host = "127.0.0.1"
    public var port = 8080
    /// The `*.pub` keys signatures must verify against; defaults to `DATA/trust`.
    public var trustDirectory: String?
    public var requireSignature = true
    public var maximumBlobSize: Int64 = 64 << 30
    public var allowAnonymousRead = false
    /// Inference request bodies larger than this are refused with 413.
    public var maximumRequestSize = 64 << 20
    /// A Triton-style model repository to serve instead of the registry's models.
    public var repository: String?
    public var modelControlMode: ModelControlMode = .none
    /// In explicit mode, the repository models to load at start.
    public var loadModels: [String] = []
    public var repositoryPollSeconds = 5
    /// How often registry serving reads the registry's events (alias moves reach serving within this).
    public var registryEventPoll: Duration = .milliseconds(100)
    /// Which registry versions serve: by default the one `production` names.
    public var servingPolicy = ServingPolicy()
    /// Per-model policies that replace `servingPolicy` for those models.
    public var servingPolicies: [String: ServingPolicy] = [:]
    /// The most a model card's `sandbox` limits may ask for (fuel, memory pages, timeout).
    public var sandboxCaps: SandboxLimits = .defaultCaps
    /// Read timeouts for slow clients and the cap on open connections.
    public var connectionLimits = ConnectionLimits()

    public init() {}

    public var effectiveTrustDirectory: String {
        trustDirectory ?? (dataDirectory as NSString).appendingPathComponent("trust")
    }

    static let settings = [
        "data", "metadata", "host", "port", "trust", "require_signature", "max_blob_size", "allow_anonymous_read", "max_request_size",
        "repository", "model_control_mode", "load_models", "repository_poll_seconds", "serve_aliases", "serve_latest", "policies",
        "wasm_max_fuel", "wasm_max_memory_pages", "wasm_max_timeout_ms",
        "header_timeout_seconds", "idle_timeout_seconds", "max_connections",
    ]

    /// A positive number of seconds (whole or not) as a duration, or nil.
    public static func seconds(_ value: Any) -> Duration? {
        let number: Double
        if let whole = value as? Int {
            number = Double(whole)
        } else if let fraction = value as? Double {
            number = fraction
        } else if let text = value as? String, let parsed = Double(text) {
            number = parsed
        } else {
            return nil
        }
        guard number.isFinite, number > 0, number <= 86_400 else { return nil }  // a day is more than any sane timeout
        return .milliseconds(Int64((number * 1000).rounded(.up)))
    }

    /// Reads a YAML configuration file over the defaults.
    /// - Throws: `.invalidArgument` naming the file and the key that is wrong.
    public static func load(file path: String) throws -> ServerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw WardenError(.pathNotFound, "cannot read the configuration file '\(path)': \(error.localizedDescription)", cause: error)
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw WardenError(.invalidArgument, "'\(path)' is not valid YAML: \(error)", cause: error)
        }
        var configuration = ServerConfiguration()
        guard let loaded else { return configuration }
        guard let entries = loaded as? [String: Any] else {
            throw WardenError(.invalidArgument, "'\(path)' must be a mapping of settings (\(settings.joined(separator: ", ")))")
        }
        func fail(_ key: String, _ why: String) -> WardenError {
            WardenError(.invalidArgument, "\(path): \(key): \(why)")
        }
        for (key, value) in entries {
            switch key {
            case "data":
                guard let text = value as? String else { throw fail(key, "must be a directory path") }
                configuration.dataDirectory = text
            case "metadata":
                guard let text = value as? String else { throw fail(key, "must be a PostgreSQL URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE") }
                configuration.metadata = text
            case "host":
                guard let text = value as? String else { throw fail(key, "must be an address such as 127.0.0.1") }
                configuration.host = text
            case "port":
                guard let port = value as? Int, (0...65535).contains(port) else { throw fail(key, "must be a port number from 0 to 65535") }
                configuration.port = port
            case "trust":
                guard let text = value as? String else { throw fail(key, "must be a directory of *.pub keys") }
                configuration.trustDirectory = text
            case "require_signature":
                guard let flag = value as? Bool else { throw fail(key, "must be true or false") }
                configuration.requireSignature = flag
            case "allow_anonymous_read":
                guard let flag = value as? Bool else { throw fail(key, "must be true or false") }
                configuration.allowAnonymousRead = flag
            case "max_request_size":
                guard let size = value as? Int, size > 0 else { throw fail(key, "must be a positive number of bytes") }
                configuration.maximumRequestSize = size
            case "repository":
                guard let text = value as? String else { throw fail(key, "must be a directory of <model>/<version>/ folders") }
                configuration.repository = text
            case "model_control_mode":
                guard let text = value as? String, let mode = ModelControlMode(rawValue: text) else { throw fail(key, "must be none, poll or explicit") }
                configuration.modelControlMode = mode
            case "load_models":
                guard let names = value as? [String] else { throw fail(key, "must be a list of model names") }
                configuration.loadModels = names
            case "repository_poll_seconds":
                guard let seconds = value as? Int, seconds > 0 else { throw fail(key, "must be a positive number of seconds") }
                configuration.repositoryPollSeconds = seconds
            case "wasm_max_fuel":
                guard let fuel = value as? Int, fuel > 0 else { throw fail(key, "must be a positive number of instructions") }
                configuration.sandboxCaps.fuel = UInt64(fuel)
            case "wasm_max_memory_pages":
                guard let pages = value as? Int, (1...65536).contains(pages) else { throw fail(key, "must be from 1 to 65536 pages of 64 KiB") }
                configuration.sandboxCaps.maxMemoryPages = pages
            case "wasm_max_timeout_ms":
                guard let milliseconds = value as? Int, milliseconds > 0 else { throw fail(key, "must be a positive number of milliseconds") }
                configuration.sandboxCaps.timeoutMilliseconds = milliseconds
            case "serve_aliases":
                guard let names = value as? [String], !names.isEmpty else { throw fail(key, "must be a list of alias names, such as [production]") }
                configuration.servingPolicy.aliases = names
            case "serve_latest":
                guard let count = value as? Int, count >= 0 else { throw fail(key, "must be a whole number ≥ 0") }
                configuration.servingPolicy.latest = count
            case "policies":
                guard let models = value as? [String: Any] else { throw fail(key, "must map model names to {aliases, latest, versions}") }
                for (model, entry) in models {
                    guard let settings = entry as? [String: Any] else { throw fail("\(key).\(model)", "must be a mapping with aliases, latest and/or versions") }
                    var policy = ServingPolicy(aliases: [])
                    for (setting, value) in settings {
                        switch setting {
                        case "aliases":
                            guard let names = value as? [String] else { throw fail("\(key).\(model).aliases", "must be a list of alias names") }
                            policy.aliases = names
                        case "latest":
                            guard let count = value as? Int, count >= 0 else { throw fail("\(key).\(model).latest", "must be a whole number ≥ 0") }
                            policy.latest = count
                        case "versions":
                            guard let texts = value as? [Any] else { throw fail("\(key).\(model).versions", "must be a list of versions") }
                            policy.versions = try texts.map { text in
                                guard let version = SemanticVersion("\(text)") else { throw fail("\(key).\(model).versions", "'\(text)' is not a SemVer version such as 1.2.0") }
                                return version
                            }
                        default:
                            throw fail("\(key).\(model).\(setting)", "unknown setting; a policy has aliases, latest and versions")
                        }
                    }
                    if policy.aliases.isEmpty, policy.latest == 0, policy.versions.isEmpty {
                        throw fail("\(key).\(model)", "names no version to serve; give aliases, latest or versions")
                    }
                    configuration.servingPolicies[model] = policy
                }
            case "header_timeout_seconds", "idle_timeout_seconds":
                guard let seconds = Self.seconds(value) else { throw fail(key, "must be a positive number of seconds (at most 86400), such as 10 or 0.5") }
                if key == "header_timeout_seconds" {
                    configuration.connectionLimits.headerTimeout = seconds
                } else {
                    configuration.connectionLimits.idleTimeout = seconds
                }
            case "max_connections":
                guard let count = value as? Int, count > 0 else { throw fail(key, "must be a positive number of connections") }
                configuration.connectionLimits.maximumConnections = count
            case "max_blob_size":
                guard let size = value as? Int, size > 0 else { throw fail(key, "must be a positive number of bytes") }
                configuration.maximumBlobSize = Int64(size)
            default:
                throw fail(key, "unknown setting; the settings are \(Self.settings.joined(separator: ", "))")
            }
        }
        return configuration
    }
}
