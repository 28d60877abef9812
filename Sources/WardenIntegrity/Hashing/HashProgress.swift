import Synchronization

/// Bytes hashed so far, updated by hashing workers and read by a progress display.
/// The hasher sets the total once it has walked the model.
public final class HashProgress: Sendable {
    private let total = Atomic<Int64>(-1)
    private let done = Atomic<Int64>(0)

    public init() {}

    /// The bytes to hash, or nil before the model has been walked.
    public var totalBytes: Int64? {
        let value = total.load(ordering: .acquiring)
        return value < 0 ? nil : value
    }

    public var completedBytes: Int64 { done.load(ordering: .relaxed) }

    public func start(totalBytes: Int64) {
        total.store(totalBytes, ordering: .releasing)
    }

    public func add(_ bytes: Int) {
        done.add(Int64(bytes), ordering: .relaxed)
    }
}
