import ArgumentParser
import Foundation
import Hummingbird
import Logging
import WardenCore
import WardenServer
import WardenServing

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the model registry and the inference server: SQLite metadata (or PostgreSQL with --metadata) and content-addressed blobs in one data directory.",
        discussion: """
            On first start it creates DATA/admin.token (mode 0600) holding an admin API token. \
            The registry API is under /api/v1 (see /openapi.yaml); /healthz and /readyz answer probes. \
            Models are served over the Open Inference Protocol (KServe V2, with Triton's extensions) under /v2: \
            each registry model at the version its production alias names, hot-swapped when the alias moves, \
            or with --repository DIR the <model>/<version>/ folders of a Triton-style repository. \
            Only versions whose signature verifies against the trusted keys load. /metrics is for Prometheus. \
            SIGTERM or SIGINT stops accepting, finishes in-flight requests and closes the database.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The data directory (default ./warden-data).", valueName: "dir"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Keep the registry's metadata in PostgreSQL, shared by every replica, instead of DATA/warden.db.", valueName: "postgres://user:password@host:port/db"))
    var metadata: String?

    @Option(name: .long, help: "The address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "The port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(name: .long, help: ArgumentHelp("A directory of trusted *.pub keys (default DATA/trust).", valueName: "dir"))
    var trust: String?

    @Option(name: .long, help: ArgumentHelp("A YAML file of settings; flags override it.", valueName: "file"))
    var config: String?

    @Flag(name: .long, inversion: .prefixedNo, help: "Refuse versions without a trusted signature (default on).")
    var requireSignature: Bool?

    @Option(name: .long, help: ArgumentHelp("Refuse blobs larger than this many bytes (default 64 GiB).", valueName: "bytes"))
    var maxBlobSize: Int64?

    @Flag(name: .long, help: "Let requests without a token read models, versions and blobs.")
    var allowAnonymousRead = false

    @Option(name: .long, help: ArgumentHelp("Serve the models of a Triton-style repository DIR/<model>/<version>/ instead of the registry's.", valueName: "dir"))
    var repository: String?

    @Option(name: .long, help: ArgumentHelp("With --repository: none (load all at start), poll (also follow changes) or explicit (load through the API).", valueName: "mode"))
    var modelControlMode: String?

    @Option(name: .long, help: ArgumentHelp("With --model-control-mode explicit: a model to load at start (repeatable).", valueName: "name"))
    var loadModel: [String] = []

    @Option(name: .long, help: ArgumentHelp("With --model-control-mode poll: seconds between rescans (default 5).", valueName: "seconds"))
    var repositoryPollSecs: Int?

    @Option(name: .long, help: ArgumentHelp("Refuse inference request bodies larger than this many bytes (default 64 MiB).", valueName: "bytes"))
    var maxRequestSize: Int?

    @Option(name: .long, help: ArgumentHelp("The most fuel (instructions) a WASM module's call may have; cards asking for more are refused (default 10000000000).", valueName: "n"))
    var wasmMaxFuel: Int?

    @Option(name: .long, help: ArgumentHelp("The most 64 KiB pages of memory a WASM module may have (default 4096, i.e. 256 MiB).", valueName: "pages"))
    var wasmMaxMemoryPages: Int?

    @Option(name: .long, help: ArgumentHelp("The longest wall-clock time a WASM module's call may take (default 10000).", valueName: "ms"))
    var wasmMaxTimeoutMs: Int?

    @Option(name: .long, help: ArgumentHelp("Close a connection whose request head has not arrived whole this many seconds after its first byte (default 10).", valueName: "seconds"))
    var headerTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Close a connection that sends nothing for this many seconds while the server waits for a request or for the rest of a body (default 30).", valueName: "seconds"))
    var idleTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Connections open at once; more wait until one closes (default 1000).", valueName: "n"))
    var maxConnections: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
        if let maxBlobSize, maxBlobSize <= 0 { throw ValidationError("--max-blob-size must be a positive number of bytes") }
        if let modelControlMode, ModelControlMode(rawValue: modelControlMode) == nil {
            throw ValidationError("--model-control-mode must be none, poll or explicit, got '\(modelControlMode)'")
        }
        if modelControlMode != nil || !loadModel.isEmpty || repositoryPollSecs != nil, repository == nil {
            throw ValidationError("--model-control-mode, --load-model and --repository-poll-secs go with --repository DIR")
        }
        if let repositoryPollSecs, repositoryPollSecs <= 0 { throw ValidationError("--repository-poll-secs must be a positive number of seconds") }
        if let maxRequestSize, maxRequestSize <= 0 { throw ValidationError("--max-request-size must be a positive number of bytes") }
        if let wasmMaxFuel, wasmMaxFuel <= 0 { throw ValidationError("--wasm-max-fuel must be a positive number of instructions") }
        if let wasmMaxMemoryPages, !(1...65536).contains(wasmMaxMemoryPages) { throw ValidationError("--wasm-max-memory-pages must be from 1 to 65536 pages of 64 KiB") }
        if let wasmMaxTimeoutMs, wasmMaxTimeoutMs <= 0 { throw ValidationError("--wasm-max-timeout-ms must be a positive number of milliseconds") }
        if let headerTimeout, ServerConfiguration.seconds(headerTimeout) == nil { throw ValidationError("--header-timeout must be a positive number of seconds (at most 86400), such as 10 or 0.5") }
        if let idleTimeout, ServerConfiguration.seconds(idleTimeout) == nil { throw ValidationError("--idle-timeout must be a positive number of seconds (at most 86400), such as 30") }
        if let maxConnections, maxConnections <= 0 { throw ValidationError("--max-connections must be a positive number of connections") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
    }

    func run() async throws {
        var settings = ServerConfiguration()
        try runReporting {
            if let config { settings = try ServerConfiguration.load(file: config) }
        }
        if let data { settings.dataDirectory = data }
        if let metadata { settings.metadata = metadata }
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let trust { settings.trustDirectory = trust }
        if let requireSignature { settings.requireSignature = requireSignature }
        if let maxBlobSize { settings.maximumBlobSize = maxBlobSize }
        if allowAnonymousRead { settings.allowAnonymousRead = true }
        if let repository { settings.repository = repository }
        if let mode = modelControlMode.flatMap(ModelControlMode.init(rawValue:)) { settings.modelControlMode = mode }
        if !loadModel.isEmpty { settings.loadModels = loadModel }
        if let repositoryPollSecs { settings.repositoryPollSeconds = repositoryPollSecs }
        if let maxRequestSize { settings.maximumRequestSize = maxRequestSize }
        if let wasmMaxFuel { settings.sandboxCaps.fuel = UInt64(wasmMaxFuel) }
        if let wasmMaxMemoryPages { settings.sandboxCaps.maxMemoryPages = wasmMaxMemoryPages }
        if let wasmMaxTimeoutMs { settings.sandboxCaps.timeoutMilliseconds = wasmMaxTimeoutMs }
        if let seconds = headerTimeout.flatMap(ServerConfiguration.seconds) { settings.connectionLimits.headerTimeout = seconds }
        if let seconds = idleTimeout.flatMap(ServerConfiguration.seconds) { settings.connectionLimits.idleTimeout = seconds }
        if let maxConnections { settings.connectionLimits.maximumConnections = maxConnections }

        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "warden")
        let server: WardenServer
        do {
            server = try await WardenServer.open(settings, logger: logger)
        } catch let error as WardenError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let host = settings.host
        let dataDirectory = settings.dataDirectory
        let app = server.application { channel in
            let port = channel.localAddress?.port ?? 0
            FileHandle.standardOutput.write(Data("warden serving on http://\(host):\(port) (data: \(dataDirectory))\n".utf8))
        }
        try await app.runService()
    }
}
