import Foundation
import Synchronization
import WardenCore

/// Every model the server knows and the state of each of its versions: the
/// hot-swap slots.
///
/// Requests look up a `ServedVersion` here and keep the reference for as long
/// as they run. `install` switches atomically: a request that looked up
/// before the switch finishes on the old version, one that looks up after runs
/// on the new one, and the old version's queue is retired so it is released
/// once the last request it holds is answered.
public final class ModelServer: Sendable {
    /// Triton's model states.
    public enum State: String, Sendable {
        case ready = "READY"
        case loading = "LOADING"
        case unavailable = "UNAVAILABLE"
        case unloading = "UNLOADING"
    }

    /// One row of the repository index.
    public struct IndexEntry: Sendable, Hashable {
        public var name: String
        public var version: String
        public var state: State
        public var reason: String
    }

    struct Slot {
        var state: State
        var served: ServedVersion?
        var reason = ""
    }

    struct Entry {
        var slots: [String: Slot] = [:]
        /// Where unversioned requests go: the production alias, or the highest version of a repository model.
        var current: String?
        /// During a rollout: how unversioned requests split between stable and candidate.
        var route: Route?
    }

    struct Route {
        var stable: String
        var candidate: String
        var router: TrafficRouter
        let shadow: ShadowComparison
    }

    private let models = Mutex<[String: Entry]>([:])

    public init() {}

    /// The version a request runs on: `version`, or the model's current version.
    /// - Throws: `.notFound` for an unknown model or version, `.unavailable` for one that is not ready.
    public func lookup(model: String, version: String?, headers: [String: String] = [:]) throws -> ServedVersion {
        try routed(model: model, version: version, headers: headers).served
    }

    /// The version a request runs on and, when a rollout mirrors it, the candidate that shadows it
    /// (the caller always answers from `served`) with the comparison to record into.
    public func routed(model: String, version: String?, headers: [String: String] = [:]) throws -> (served: ServedVersion, shadow: (ServedVersion, ShadowComparison)?) {
        try models.withLock { models in
            guard let entry = models[model] else {
                throw WardenError(.notFound, "no model named '\(model)' is served here; POST /v2/repository/index lists the models that are")
            }
            if version == nil, let route = entry.route {
                // A rollout splits unversioned traffic; a candidate that is not ready leaves it all on stable.
                let decision = route.router.route(headers: headers, draw: Double.random(in: 0..<100))
                let chosen = decision == .candidate ? route.candidate : route.stable
                var shadow: (ServedVersion, ShadowComparison)?
                if decision == .stableWithShadow, let slot = entry.slots[route.candidate], slot.state == .ready, let candidate = slot.served {
                    shadow = (candidate, route.shadow)
                }
                for label in [chosen, route.stable] {
                    if let slot = entry.slots[label], slot.state == .ready, let served = slot.served {
                        return (served, label == route.stable ? shadow : nil)
                    }
                }
            }
            let label = version ?? entry.current
            guard let label, let slot = entry.slots[label] else {
                if let version {
                    let ready = entry.slots.filter { $0.value.state == .ready }.keys.sorted()
                    throw WardenError(.notFound, "version '\(version)' of '\(model)' is not served; served versions: \(ready.isEmpty ? "none" : ready.joined(separator: ", "))")
                }
                throw WardenError(.modelUnavailable, "'\(model)' has no version ready to serve")
            }
            guard slot.state == .ready, let served = slot.served else {
                throw WardenError(.modelUnavailable, "\(model) version \(label) is \(slot.state.rawValue)\(slot.reason.isEmpty ? "" : ": \(slot.reason)")")
            }
            return (served, nil)
        }
    }

    /// Marks `version` as loading unless it is already loading, or ready with the same digest.
    /// - Returns: false when there is nothing to do (a load of the same version is idempotent).
    public func beginLoad(model: String, version: String, digest: Digest? = nil) -> Bool {
        models.withLock { models in
            var entry = models[model] ?? Entry()
            if let slot = entry.slots[version] {
                if slot.state == .loading { return false }
                if slot.state == .ready, digest == nil || slot.served?.manifestDigest == digest { return false }
            }
            let served = entry.slots[version]?.served
            entry.slots[version] = Slot(state: .loading, served: served)
            models[model] = entry
            return true
        }
    }

    /// Puts a loaded version live. With `makeCurrent`, unversioned requests go to it from now on.
    /// Versions not in `keep` (when given) are removed and drain.
    public func install(_ served: ServedVersion, makeCurrent: Bool, keep: Set<String>? = nil) {
        let retired = models.withLock { models -> [ServedVersion] in
            var entry = models[served.model] ?? Entry()
            var retired: [ServedVersion] = []
            if let previous = entry.slots[served.version]?.served, previous !== served { retired.append(previous) }
            entry.slots[served.version] = Slot(state: .ready, served: served)
            if makeCurrent { entry.current = served.version }
            if let keep {
                for (label, slot) in entry.slots where label != served.version && !keep.contains(label) && slot.state != .loading {
                    if let old = slot.served { retired.append(old) }
                    entry.slots[label] = nil
                }
            }
            models[served.model] = entry
            return retired
        }
        for old in retired { old.retire() }
    }

    /// Splits `model`'s unversioned traffic between two versions (a rollout), or stops splitting (nil).
    public func setRoute(model: String, stable: String, candidate: String, router: TrafficRouter?) {
        models.withLock { models in
            var entry = models[model] ?? Entry()
            // The shadow comparison lasts as long as the rollout's route does.
            let shadow = entry.route.flatMap { $0.stable == stable && $0.candidate == candidate ? $0.shadow : nil } ?? ShadowComparison()
            entry.route = router.map { Route(stable: stable, candidate: candidate, router: $0, shadow: shadow) }
            models[model] = entry
        }
    }

    /// The shadow comparison of a model's rollout, while it routes.
    public func shadowComparison(model: String) -> ShadowComparison.Summary? {
        models.withLock { $0[model]?.route?.shadow.summary }
    }

    /// Records why a version did not load. A version that was ready stays ready and serving.
    public func loadFailed(model: String, version: String, reason: String) {
        models.withLock { models in
            var entry = models[model] ?? Entry()
            if let slot = entry.slots[version], let served = slot.served {
                entry.slots[version] = Slot(state: .ready, served: served, reason: "a reload failed: \(reason)")
            } else {
                entry.slots[version] = Slot(state: .unavailable, served: nil, reason: reason)
            }
            models[model] = entry
        }
    }

    /// Unloads every version of `model` (they drain) and keeps the model listed as unavailable.
    public func unload(model: String, reason: String = "unloaded") {
        let retired = models.withLock { models -> [ServedVersion] in
            guard var entry = models[model] else { return [] }
            let retired = entry.slots.values.compactMap(\.served)
            for label in entry.slots.keys { entry.slots[label] = Slot(state: .unavailable, served: nil, reason: reason) }
            entry.current = nil
            models[model] = entry
            return retired
        }
        for old in retired { old.retire() }
    }

    /// Lists a model that is known but not loaded (a repository folder in explicit mode).
    public func register(model: String, versions: [String], reason: String) {
        models.withLock { models in
            var entry = models[model] ?? Entry()
            for version in versions where entry.slots[version] == nil {
                entry.slots[version] = Slot(state: .unavailable, served: nil, reason: reason)
            }
            models[model] = entry
        }
    }

    /// Forgets a model entirely (its folder left the repository).
    public func remove(model: String) {
        unload(model: model)
        _ = models.withLock { $0.removeValue(forKey: model) }
    }

    public func index() -> [IndexEntry] {
        models.withLock { models in
            models.flatMap { name, entry in
                entry.slots.map { IndexEntry(name: name, version: $0.key, state: $0.value.state, reason: $0.value.reason) }
            }
        }.sorted { ($0.name, $0.version) < ($1.name, $1.version) }
    }

    /// The ready versions of `model`, and the current one.
    public func versions(of model: String) -> (ready: [ServedVersion], current: String?)? {
        models.withLock { models in
            guard let entry = models[model] else { return nil }
            return (entry.slots.values.compactMap { $0.state == .ready ? $0.served : nil }.sorted { $0.version < $1.version }, entry.current)
        }
    }

    public var modelNames: [String] { models.withLock { Array($0.keys).sorted() } }

    /// Every ready version, for statistics.
    public var readyVersions: [ServedVersion] {
        models.withLock { models in models.values.flatMap { $0.slots.values.compactMap { $0.state == .ready ? $0.served : nil } } }
            .sorted { ($0.model, $0.version) < ($1.model, $1.version) }
    }
}

extension WardenError.Code {
    /// The model or version exists but is not ready (loading, unloaded, refused).
    public static let modelUnavailable = Self(rawValue: "model_unavailable")
}
