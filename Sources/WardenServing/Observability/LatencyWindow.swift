import Synchronization

/// The latencies of recent requests, kept until the next `drain` (at most `capacity`,
/// the newest winning), so a rollout can take a window's p99.
public final class LatencyWindow: Sendable {
    private struct State {
        var samples: [UInt64] = []
        var next = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func record(_ nanoseconds: UInt64) {
        state.withLock { state in
            if state.samples.count < capacity {
                state.samples.append(nanoseconds)
            } else {
                state.samples[state.next] = nanoseconds
                state.next = (state.next + 1) % capacity
            }
        }
    }

    /// The samples since the last drain, sorted, and forgets them.
    public func drain() -> [UInt64] {
        state.withLock { state in
            let samples = state.samples
            state = State()
            return samples
        }.sorted()
    }

    /// The samples kept now, sorted, without forgetting them.
    public func peek() -> [UInt64] {
        state.withLock { $0.samples }.sorted()
    }

    /// The `fraction` quantile of sorted samples (nil when there are none).
    public static func quantile(_ sorted: [UInt64], _ fraction: Double) -> UInt64? {
        guard !sorted.isEmpty else { return nil }
        let rank = max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)
        return sorted[min(sorted.count - 1, rank)]
    }
}
