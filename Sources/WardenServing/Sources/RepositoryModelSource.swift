import Foundation
import Logging
import Synchronization
import WardenCore
import WardenRegistry

/// Triton's model control modes, under Triton's flag name `--model-control-mode`.
public enum ModelControlMode: String, Sendable, CaseIterable {
    /// Load every model at start; never change.
    case none
    /// Load every model at start, then rescan the repository and load, reload or unload what changed.
    case poll
    /// Load only the models named at start; load and unload through the repository API.
    case explicit
}

/// Serves a Triton-style folder: `ROOT/<model>/<version>/` where each version
/// folder holds `model.onnx`, `warden.yaml` and `model.sig`. Version folders
/// are named by a SemVer (`1.2.0`) or, as in Triton, a whole number (`1`, read
/// as `1.0.0` for ordering). The highest `latest` versions serve (Triton's
/// default policy: 1), and unversioned requests go to the highest.
///
/// Every load copies the version folder into a private checkout first and
/// verifies that copy, so the bytes that load are the bytes that verified even
/// if someone edits the repository meanwhile.
public final class RepositoryModelSource: ModelSource {
    public let root: String
    public let mode: ModelControlMode
    public let server: ModelServer
    public let loader: VersionLoader
    public let latest: Int
    public let pollInterval: Duration
    /// In explicit mode, the models loaded at start (Triton's `--load-model`).
    public let startupModels: [String]
    let scratch: String
    /// Where refusals are recorded (the registry's store, so they reach the audit log).
    /// Where refused loads are recorded (an event and an audit entry), when the server has a registry.
    let registry: Registry?
    let logger: Logger
    private let gate = SyncGate()
    private let ready = ReadyFlag()
    /// What each loaded model's folders looked like when last loaded, to see changes when polling.
    private let fingerprints = Mutex<[String: String]>([:])
    /// The same per version folder (`model/version`), so an unchanged version is not loaded again.
    private let versionFingerprints = Mutex<[String: String]>([:])
    private let polls = Atomic<Int>(0)

    /// How many polls of the repository have finished (mode poll): what a caller waits on to
    /// know the folders were looked at again, instead of a sleep.
    public var completedPolls: Int { polls.load(ordering: .acquiring) }

    public init(
        root: String, mode: ModelControlMode, server: ModelServer, loader: VersionLoader, scratch: String,
        latest: Int = 1, pollInterval: Duration = .seconds(5), startupModels: [String] = [], registry: Registry? = nil,
        logger: Logger = Logger(label: "warden.serving")
    ) {
        self.registry = registry
        self.root = root
        self.mode = mode
        self.server = server
        self.loader = loader
        self.scratch = scratch
        self.latest = max(1, latest)
        self.pollInterval = pollInterval
        self.startupModels = startupModels
        self.logger = logger
    }

    public var isReady: Bool { ready.isSet }

    public func run() async {
        let found = scan()
        switch mode {
        case .none, .poll:
            for model in found.keys.sorted() { await loadLogging(model) }
        case .explicit:
            for (model, versions) in found { server.register(model: model, versions: versions.map(\.name), reason: "not loaded (explicit model control: POST /v2/repository/models/\(model)/load)") }
            for model in startupModels { await loadLogging(model) }
        }
        ready.set()
        guard mode == .poll else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            await poll()
            polls.add(1, ordering: .releasing)
        }
    }

    public func load(model: String) async throws {
        guard mode == .explicit else {
            throw WardenError(.invalidArgument, "explicit model load and unload are not allowed in model control mode '\(mode.rawValue)'; start the server with --model-control-mode explicit")
        }
        try await sync(model, wait: true)
    }

    public func unload(model: String) async throws {
        guard mode == .explicit else {
            throw WardenError(.invalidArgument, "explicit model load and unload are not allowed in model control mode '\(mode.rawValue)'; start the server with --model-control-mode explicit")
        }
        guard server.versions(of: model) != nil else {
            throw WardenError(.notFound, "no model named '\(model)' in the repository \(root)")
        }
        server.unload(model: model)
        _ = fingerprints.withLock { $0.removeValue(forKey: model) }
    }

    /// Rescans: loads new models, reloads changed ones, forgets removed ones.
    func poll() async {
        let found = scan()
        let known = Set(fingerprints.withLock { Array($0.keys) })
        for model in known where found[model] == nil {
            logger.info("\(model) left the repository; unloading it")
            server.remove(model: model)
            _ = fingerprints.withLock { $0.removeValue(forKey: model) }
        }
        for model in found.keys.sorted() {
            let before = fingerprints.withLock { $0[model] }
            if before != Self.fingerprint(found[model] ?? []) { await loadLogging(model) }
        }
    }

    private func loadLogging(_ model: String) async {
        do { try await sync(model) } catch { logger.error("cannot serve \(model): \(error)") }
    }

    /// Loads the highest `latest` versions of one model folder and switches to them.
    /// With `wait`, a sync already running for `model` is followed by one this call waits for.
    func sync(_ model: String, wait: Bool = false) async throws {
        try ModelReference.validateName(model)
        try await gate.run(model, wait: wait) {
            guard let versions = scan(model: model) else {
                throw WardenError(.notFound, "no model folder '\(model)' with version folders in the repository \(root)")
            }
            let print = Self.fingerprint(versions)
            let targets = Array(versions.suffix(latest))
            var loaded: [ServedVersion] = []
            for version in targets {
                let folder = ((root as NSString).appendingPathComponent(model) as NSString).appendingPathComponent(version.name)
                let digestHint = version.fingerprint
                // A folder unchanged since it loaded is not loaded again (idempotent).
                if let ready = try? server.lookup(model: model, version: version.name), versionFingerprints.withLock({ $0["\(model)/\(version.name)"] }) == digestHint {
                    loaded.append(ready)
                    continue
                }
                _ = server.beginLoad(model: model, version: version.name)
                do {
                    let loader = loader
                    let scratch = scratch
                    let served = try await offload { () throws -> ServedVersion in
                        let checkout = (scratch as NSString).appendingPathComponent("repo-\(model)-\(version.name)-\(UUID().uuidString)")
                        do {
                            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
                            try FileManager.default.copyItem(atPath: folder, toPath: checkout)
                        } catch {
                            throw VersionLoader.Failure(stage: .failed, error: WardenError(.ioFailure, "cannot copy \(folder) for loading: \(error.localizedDescription)", cause: error))
                        }
                        return try loader.load(model: model, version: version.name, checkout: checkout)
                    }
                    loaded.append(served)
                    versionFingerprints.withLock { $0["\(model)/\(version.name)"] = digestHint }
                } catch let failure as VersionLoader.Failure {
                    server.loadFailed(model: model, version: version.name, reason: failure.description)
                    if failure.stage == .refused {
                        try? await registry?.recordLoadRefusal(model: model, version: version.name, reason: failure.error.message, actor: "server")
                    }
                }
            }
            let keep = Set(loaded.map(\.version))
            for served in loaded {
                server.install(served, makeCurrent: served.version == loaded.last?.version, keep: keep.isEmpty ? nil : keep)
            }
            server.register(model: model, versions: versions.map(\.name), reason: "not selected by the version policy (latest \(latest))")
            fingerprints.withLock { $0[model] = print }
        }
    }

    struct VersionFolder {
        let name: String
        let order: SemanticVersion
        let fingerprint: String
    }

    /// Model folders and their version folders, lowest version first.
    func scan() -> [String: [VersionFolder]] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else {
            logger.error("cannot read the model repository \(root)")
            return [:]
        }
        var found: [String: [VersionFolder]] = [:]
        for model in names where !model.hasPrefix(".") {
            if let versions = scan(model: model) { found[model] = versions }
        }
        return found
    }

    /// One model folder's version folders, lowest version first; nil when it has none.
    func scan(model: String) -> [VersionFolder]? {
        let manager = FileManager.default
        let directory = (root as NSString).appendingPathComponent(model)
        guard (try? ModelReference.validateName(model)) != nil,
              let entries = try? manager.contentsOfDirectory(atPath: directory) else { return nil }
        var versions: [VersionFolder] = []
        for entry in entries {
            var isDirectory: ObjCBool = false
            let path = (directory as NSString).appendingPathComponent(entry)
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
                  let order = Self.order(of: entry) else { continue }
            versions.append(VersionFolder(name: entry, order: order, fingerprint: Self.fingerprint(of: path)))
        }
        return versions.isEmpty ? nil : versions.sorted { $0.order < $1.order }
    }

    /// A model's folders as one text: changes when any version folder does.
    static func fingerprint(_ versions: [VersionFolder]) -> String {
        versions.map { "\($0.name)=\($0.fingerprint)" }.joined(separator: ";")
    }

    /// A version folder's name as a version: a SemVer, or a whole number N as N.0.0.
    static func order(of name: String) -> SemanticVersion? {
        if let version = try? SemanticVersion(parsing: name) { return version }
        if let number = UInt64(name) { return SemanticVersion(major: number, minor: 0, patch: 0) }
        return nil
    }

    /// Names, sizes and modification times of a folder's files: changes when a file does.
    static func fingerprint(of folder: String) -> String {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return "" }
        var parts: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let attributes = enumerator.fileAttributes ?? [:]
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            parts.append("\(relative):\(size):\(modified)")
        }
        return parts.sorted().joined(separator: "|")
    }
}
