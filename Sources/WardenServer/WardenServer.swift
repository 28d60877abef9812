import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import WardenCore
import Metrics
import Prometheus
import WardenIntegrity
import WardenRegistry
import WardenServing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The registry server: its stores opened from the data directory, and the
/// Hummingbird application that serves them.
///
/// ```swift
/// let server = try await WardenServer.open(configuration, logger: logger)
/// try await server.application().runService()   // until SIGTERM or SIGINT
/// ```
public struct WardenServer: Sendable {
    public let configuration: ServerConfiguration
    public let registry: Registry
    /// The models served over the Open Inference Protocol, and where they come from.
    public let serving: Serving
    /// Rollouts of registry models (nil when serving a repository folder).
    public let rollouts: RolloutService?
    /// What `/metrics` exports.
    public let prometheus: PrometheusCollectorRegistry
    public let logger: Logger
    /// Held for as long as any copy of the server lives: the data folder is this server's.
    let dataLock: DataDirectoryLock
    /// Closes the metadata store's connections at shutdown (PostgreSQL's pool and listener).
    let closeMetadata: @Sendable () async -> Void

    /// Opens (creating when new) the data directory laid out as `DataDirectory` says, and locks
    /// it for this server.
    /// - Throws: `WardenError`: `.conflict` when another server holds the folder; others when
    ///   the directory or database cannot be opened.
    public static func open(_ configuration: ServerConfiguration, logger: Logger) async throws -> WardenServer {
        let data = DataDirectory(configuration.dataDirectory)
        do {
            try FileManager.default.createDirectory(atPath: data.root, withIntermediateDirectories: true)
        } catch {
            throw WardenError(.ioFailure, "cannot create the data directory '\(data.root)': \(error.localizedDescription)", cause: error)
        }
        // One server per data folder: a second one must not open the same database and blobs.
        let lock = try data.lock()
        do {
            // Nothing in tmp/ survives a restart: a publish interrupted by a crash left only scratch links.
            try? FileManager.default.removeItem(atPath: data.scratch)
            try FileManager.default.createDirectory(atPath: data.scratch, withIntermediateDirectories: true)
        } catch {
            throw WardenError(.ioFailure, "cannot create '\(data.scratch)': \(error.localizedDescription)", cause: error)
        }
        let blobs = try FileSystemBlobStore(root: data.blobs)
        let stale = blobs.removeStaleUploads(olderThan: 0)
        if stale > 0 { logger.notice("removed \(stale) interrupted upload(s) from a previous run") }
        // Every change is appended to the Merkle audit log, signed with DATA/audit.key.
        let audit = try AuditLog.openOrCreate(directory: data.root)
        // With --metadata, PostgreSQL shared by every replica; otherwise DATA/warden.db.
        let (metadata, closeMetadata) = try await openMetadata(configuration, data: data, audit: audit, logger: logger)
        do {
            return try await open(configuration, data: data, lock: lock, blobs: blobs, metadata: metadata, closeMetadata: closeMetadata, logger: logger)
        } catch {
            // Nothing half-initialised: a store that opened is closed again.
            await closeMetadata()
            throw error
        }
    }

    /// Closes the metadata store's connections, for a server opened but never run (running
    /// closes them at shutdown).
    public func close() async {
        await closeMetadata()
    }

    /// The metadata store the configuration names, and how to close it.
    static func openMetadata(
        _ configuration: ServerConfiguration, data: DataDirectory, audit: AuditLog, logger: Logger
    ) async throws -> (any MetadataStore, @Sendable () async -> Void) {
        guard let url = configuration.metadata else {
            return (try SQLiteMetadataStore(path: data.database, audit: audit), {})
        }
        let store = try await PostgresMetadataStore(url: url, audit: audit, logger: logger)
        logger.info("registry metadata in PostgreSQL at \(store.location)/\(store.location.database)")
        return (store, { await store.close() })
    }

    private static func open(
        _ configuration: ServerConfiguration, data: DataDirectory, lock: DataDirectoryLock, blobs: FileSystemBlobStore,
        metadata: any MetadataStore, closeMetadata: @escaping @Sendable () async -> Void, logger: Logger
    ) async throws -> WardenServer {

        var trust: TrustPolicy?
        let trustDirectory = configuration.effectiveTrustDirectory
        if FileManager.default.fileExists(atPath: trustDirectory) {
            trust = try TrustPolicy(directory: trustDirectory)
            logger.info("trusting \(trust?.keys.count ?? 0) key(s) from \(trustDirectory)")
        } else if configuration.requireSignature {
            logger.warning("no trust directory at \(trustDirectory): signed versions cannot be published until it holds the signers' *.pub keys")
        }

        let registry = Registry(
            metadata: metadata,
            blobs: blobs,
            configuration: RegistryConfiguration(
                requireSignature: configuration.requireSignature, trust: trust,
                maximumBlobSize: configuration.maximumBlobSize, scratchDirectory: data.scratch
            ),
            logger: logger
        )
        try await bootstrapAdminToken(registry, path: data.adminToken, logger: logger)

        let prometheus = PrometheusCollectorRegistry()
        let metrics = ServingMetrics(factory: PrometheusMetricsFactory(registry: prometheus))
        // Serving always requires a trusted signature, even when the registry accepts unsigned versions.
        var loader = VersionLoader(trust: trust, requireSignature: true, metrics: metrics, logger: logger)
        loader.sandboxCaps = configuration.sandboxCaps
        let server = ModelServer()
        // Checkouts of served versions; like tmp/, nothing in it outlives a run.
        let checkouts = data.checkouts
        try? FileManager.default.removeItem(atPath: checkouts)
        do {
            try FileManager.default.createDirectory(atPath: checkouts, withIntermediateDirectories: true)
        } catch {
            throw WardenError(.ioFailure, "cannot create '\(checkouts)': \(error.localizedDescription)", cause: error)
        }
        let source: any ModelSource
        if let repository = configuration.repository {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: repository, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw WardenError(.pathNotFound, "the model repository '\(repository)' is not a directory; it holds <model>/<version>/ folders")
            }
            source = RepositoryModelSource(
                root: repository, mode: configuration.modelControlMode, server: server, loader: loader, scratch: checkouts,
                pollInterval: .seconds(configuration.repositoryPollSeconds), startupModels: configuration.loadModels,
                registry: registry, logger: logger
            )
        } else {
            source = RegistryModelSource(
                registry: registry, server: server, loader: loader, defaultPolicy: configuration.servingPolicy, policies: configuration.servingPolicies,
                pollInterval: configuration.registryEventPoll, checkouts: checkouts, logger: logger
            )
        }
        let serving = Serving(server: server, source: source, metrics: metrics)
        let rollouts = configuration.repository == nil ? RolloutService(registry: registry, server: server, source: source, logger: logger) : nil
        return WardenServer(
            configuration: configuration, registry: registry, serving: serving, rollouts: rollouts, prometheus: prometheus, logger: logger,
            dataLock: lock, closeMetadata: closeMetadata
        )
    }

    /// On first start (no tokens yet), creates an admin token and writes it to `DATA/admin.token` (mode 0600).
    static func bootstrapAdminToken(_ registry: Registry, path: String, logger: Logger) async throws {
        guard try await registry.tokens().isEmpty else { return }
        let secret = TokenSecret.generate()
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw WardenError(.ioFailure, "cannot write the admin token to '\(path)': \(String(cString: strerror(errno)))")
        }
        fchmod(fd, 0o600)
        let line = Array((secret + "\n").utf8)
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        Glibc.close(fd)
        guard written == line.count else { throw WardenError(.ioFailure, "cannot write the admin token to '\(path)'") }
        _ = try await registry.createToken(name: "admin", role: .admin, secretHash: TokenSecret.hash(secret), actor: "bootstrap")
        logger.notice("created the first admin token in \(path) (mode 0600); use it with WARDEN_TOKEN=$(cat \(path))")
    }

    /// Every route of `Endpoint`, with error mapping, request ids, logging and authentication.
    public func router() -> Router<WardenRequestContext> {
        let router = Router(context: WardenRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: ErrorMiddleware())

        router.on(.getHealth) { _, _ in JSONBody.response(["status": "ok"]) }
        router.on(.getReadiness) { _, context in
            do {
                _ = try await registry.latestEventSequence()
            } catch {
                context.logger.error("not ready: the metadata store does not answer", metadata: ["error": "\(error)"])
                return ErrorResponse.response(for: WardenError(.unavailable, "the metadata store does not answer: \(error)", cause: error))
            }
            return JSONBody.response(["status": "ready"])
        }
        router.on(.getOpenAPI) { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try OpenAPIDocument.data())))
        }

        // Paths in the table are absolute, so the authenticated group adds no prefix, only the middleware.
        let api = router.group().add(middleware: AuthMiddleware(registry: registry, allowAnonymousRead: configuration.allowAnonymousRead))
        api.on(.getAPIInfo) { _, _ in JSONBody.response(["name": "warden", "api": "v1"]) }
        ModelsController(registry: registry).addRoutes(to: api)
        VersionsController(registry: registry).addRoutes(to: api)
        AliasesController(registry: registry).addRoutes(to: api)
        BlobsController(registry: registry).addRoutes(to: api)
        EventsController(registry: registry).addRoutes(to: api)
        TokensController(registry: registry).addRoutes(to: api)
        RolloutsController(registry: registry, rollouts: rollouts, server: serving.server).addRoutes(to: api)

        InferenceController(
            serving: serving, maximumRequestSize: configuration.maximumRequestSize,
            registry: registry, allowAnonymousRead: configuration.allowAnonymousRead
        ).addRoutes(to: router)
        let serving = serving
        let prometheus = prometheus
        router.on(.getMetrics) { _, _ in
            serving.recordGauges()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: prometheus.emitToBuffer())))
        }
        return router
    }

    /// The application: serves on the configured address until SIGTERM or SIGINT,
    /// then stops accepting and finishes in-flight requests. Slow clients are cut off and
    /// connections capped as `configuration.connectionLimits` says.
    public func application(onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        let limits = configuration.connectionLimits
        let logger = logger
        return Application(
            router: router(),
            server: .http1(configuration: .init(additionalChannelHandlers: [ReadTimeoutHandler(limits: limits, logger: logger)])),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "warden",
                availableConnectionsDelegate: .maximum(limits.maximumConnections, logger: logger)
            ),
            // Services stop in reverse order: the store closes after the models stop following it.
            services: [MetadataCloseService(close: closeMetadata), ModelSourceService(source: serving.source, rollouts: rollouts)],
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}

/// Closes the metadata store once shutdown begins and everything after it in the group has stopped.
struct MetadataCloseService: Service {
    let close: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}

/// Loads the served models at start and follows changes until shutdown begins.
struct ModelSourceService: Service {
    let source: any ModelSource
    let rollouts: RolloutService?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await source.run() }
                if let rollouts {
                    group.addTask {
                        // Rollouts route between versions the source has loaded.
                        for _ in 0..<600 where !source.isReady { try? await Task.sleep(for: .milliseconds(50)) }
                        await rollouts.run()
                    }
                }
            }
        }
        // A source with nothing to follow (a repository without polling) stays until shutdown.
        try? await gracefulShutdown()
    }
}
