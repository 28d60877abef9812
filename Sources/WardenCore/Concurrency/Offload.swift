import Dispatch

/// Runs blocking work (hashing, parsing, file I/O) on a Dispatch thread so it
/// does not hold one of Swift concurrency's few cooperative threads.
public func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}
