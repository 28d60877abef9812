import Foundation
import WardenCore

/// Waits for a condition instead of a fixed time: polls `condition` every `interval` until it
/// holds, and throws when `limit` passes first, so a test that would otherwise go on
/// unsynchronised fails saying what it waited for.
///
/// ```swift
/// try await waitUntil("the second request is queued") { served.queueDepth == 1 }
/// ```
/// - Throws: a `timed_out` error naming `what` when the condition does not hold within `limit`.
public func waitUntil(
    _ what: @autoclosure () -> String, within limit: Duration = .seconds(20), every interval: Duration = .milliseconds(2),
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while try await !condition() {
        guard clock.now < deadline else { throw WardenError(WardenError.Code(rawValue: "timed_out"), "waited \(limit) until \(what()), in vain") }
        try await Task.sleep(for: interval)
    }
}
