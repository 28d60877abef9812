import Foundation
import Logging
import Synchronization
import WardenCore
import WardenIntegrity
import WardenRegistry

/// Which versions of a registry model serve: those its aliases name (by
/// default `production`, where unversioned requests go), the highest `latest`
/// releases, and any `versions` listed, like Triton's version policies.
public struct ServingPolicy: Sendable, Hashable {
    public var aliases: [String]
    public var latest: Int
    public var versions: [SemanticVersion]

    public init(aliases: [String] = ["production"], latest: Int = 0, versions: [SemanticVersion] = []) {
        self.aliases = aliases
        self.latest = latest
        self.versions = versions
    }
}

/// Serves registry models at the versions their policy names, and follows the
/// registry's change stream (`Registry.changes(after:)`) so an alias move hot-swaps the
/// served version as soon as it commits.
public final class RegistryModelSource: ModelSource {
    public let registry: Registry
    public let server: ModelServer
    public let loader: VersionLoader
    public let defaultPolicy: ServingPolicy
    public let policies: [String: ServingPolicy]
    public let pollInterval: Duration
    /// Where verified checkouts of served versions live (hard links to the blobs).
    public let checkouts: String?
    let logger: Logger
    private let gate = SyncGate()
    private let ready = ReadyFlag()
    /// Models unloaded through the repository API, with the registry's last event sequence at
    /// that moment: events up to it are not a reason to serve them again (the poller may still
    /// be catching up on events the unload already saw), a later alias move or a load is.
    private let unloadedAt = Mutex<[String: Int64]>([:])
    private let applied = Atomic<Int64>(-1)

    /// The sequence of the newest registry event this source has acted on (-1 before the first
    /// load): what a caller waits on to know an earlier change has been seen, instead of a sleep.
    public var appliedEventSequence: Int64 { applied.load(ordering: .acquiring) }

    public init(
        registry: Registry, server: ModelServer, loader: VersionLoader, defaultPolicy: ServingPolicy = ServingPolicy(),
        policies: [String: ServingPolicy] = [:], pollInterval: Duration = .milliseconds(100), checkouts: String? = nil,
        logger: Logger = Logger(label: "warden.serving")
    ) {
        self.checkouts = checkouts
        self.registry = registry
        self.server = server
        self.loader = loader
        self.defaultPolicy = defaultPolicy
        self.policies = policies
        self.pollInterval = pollInterval
        self.logger = logger
    }

    public var isReady: Bool { ready.isSet }

    public func run() async {
        var sequence: Int64 = 0
        do {
            sequence = try await registry.latestEventSequence()
            var cursor: String?
            repeat {
                let page = try await registry.listModels(prefix: nil, tag: nil, limit: 500, cursor: cursor)
                for model in page.items { await syncLogging(model.name) }
                cursor = page.nextCursor
            } while cursor != nil
        } catch {
            logger.error("cannot list the registry's models to serve them: \(error)")
        }
        ready.set()
        applied.store(sequence, ordering: .releasing)
        // Follow the registry's change stream: a commit wakes it at once; `pollInterval` is only
        // how often it re-reads the events table without being woken.
        while !Task.isCancelled {
            do {
                for try await event in registry.changes(after: sequence, recheck: pollInterval) {
                    sequence = event.sequence
                    guard let model = event.model else {
                        applied.store(sequence, ordering: .releasing)
                        continue
                    }
                    switch event.kind {
                    case .aliasSet, .aliasDeleted, .versionCreated, .versionYanked, .versionUnyanked: await syncLogging(model, event: event.sequence)
                    default: break
                    }
                    applied.store(sequence, ordering: .releasing)
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning("cannot read the registry's events: \(error)")
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    public func load(model: String) async throws {
        _ = unloadedAt.withLock { $0.removeValue(forKey: model) }
        try await sync(model, wait: true)
    }

    public func unload(model: String) async throws {
        let sequence = try await registry.latestEventSequence()
        unloadedAt.withLock { $0[model] = sequence }
        server.unload(model: model, reason: "unloaded through the repository API; a load or an alias move serves it again")
    }

    /// Syncs `model`; `event` is the newest registry event that asked for it, if one did.
    private func syncLogging(_ model: String, event: Int64? = nil) async {
        do { try await sync(model, event: event) } catch { logger.error("cannot serve \(model): \(error)") }
    }

    /// Loads the versions the policy names that are not ready yet, then switches to them at once.
    /// A sync asked for by event `event` does nothing for a model unloaded through the API after that event.
    /// With `wait`, a sync already running for `model` is followed by one this call waits for.
    func sync(_ model: String, event: Int64? = nil, wait: Bool = false) async throws {
        try await gate.run(model, wait: wait) {
            if let event, let mark = unloadedAt.withLock({ $0[model] }), event <= mark { return }
            let policy = policies[model] ?? defaultPolicy
            let metadata = registry
            var targets: [SemanticVersion] = []
            var current: SemanticVersion?
            for alias in policy.aliases {
                if let record = try await metadata.alias(model: model, alias) {
                    if current == nil { current = record.version }
                    if !targets.contains(record.version) { targets.append(record.version) }
                }
            }
            // A rollout in progress serves its stable and candidate versions side by side.
            if let rollout = try await metadata.rollout(model: model), rollout.isActive {
                for version in [rollout.stable, rollout.candidate] where !targets.contains(version) { targets.append(version) }
            }
            let all = try await metadata.versions(of: model)
            if policy.latest > 0 {
                let releases = all.filter { !$0.yanked && !$0.version.isPrerelease }.map(\.version)
                for version in releases.suffix(policy.latest) where !targets.contains(version) { targets.append(version) }
                if current == nil { current = releases.last }
            }
            for version in policy.versions where !targets.contains(version) && all.contains(where: { $0.version == version }) {
                targets.append(version)
            }
            guard !targets.isEmpty else {
                if server.versions(of: model) != nil {
                    server.unload(model: model, reason: "no alias or policy names a version to serve (\(policy.aliases.joined(separator: ", ")))")
                }
                return
            }
            var keep = Set(targets.map(\.description))
            var loaded: [ServedVersion] = []
            for version in targets {
                guard let record = all.first(where: { $0.version == version }) else { continue }
                let label = version.description
                guard server.beginLoad(model: model, version: label, digest: record.manifestDigest) else { continue }
                do {
                    let registry = registry
                    let loader = loader
                    let checkouts = checkouts
                    let checkout = try await registry.checkout(record, in: checkouts)
                    let served = try await offload { () throws -> ServedVersion in
                        let bundle = try record.bundle.map { try SignatureBundle(json: Array($0.utf8)) }
                        return try loader.load(model: model, version: label, checkout: checkout, bundle: bundle, expectedDigest: record.manifestDigest)
                    }
                    loaded.append(served)
                } catch let failure as VersionLoader.Failure {
                    server.loadFailed(model: model, version: label, reason: failure.description)
                    if failure.stage == .refused {
                        try? await metadata.recordLoadRefusal(model: model, version: label, reason: failure.error.message, actor: "server")
                    }
                } catch let error as WardenError {
                    server.loadFailed(model: model, version: label, reason: "load failed: \(error.message)")
                }
            }
            // A current version that failed to load leaves the one serving now in place.
            if let current, !loaded.contains(where: { $0.version == current.description }),
               (try? server.lookup(model: model, version: current.description)) == nil,
               let serving = server.versions(of: model)?.current {
                keep.insert(serving)
            }
            // One switch for everything that loaded; the current version moves only if its load succeeded.
            for served in loaded {
                server.install(served, makeCurrent: served.version == current?.description, keep: keep)
                logger.info("serving \(model)@\(served.version)", metadata: ["manifest": "\(served.manifestDigest)", "signers": "\(served.signers.joined(separator: ","))"])
            }
            // The alias may name a version that was already serving (a rollback): switch to it too.
            if let current, let served = try? server.lookup(model: model, version: current.description) {
                server.install(served, makeCurrent: true, keep: keep)
            }
        }
    }
}
