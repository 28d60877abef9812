import Synchronization
import WardenTensor

/// How a shadowed candidate's answers compare with stable's: for each mirrored
/// request, whether the top-1 class agrees and the largest absolute difference
/// of any output value.
public final class ShadowComparison: Sendable {
    public struct Summary: Sendable, Hashable {
        public var compared = 0
        public var top1Matches = 0
        public var maxAbsDiff: Double = 0
        /// Mirrored requests the candidate failed.
        public var candidateErrors = 0

        public var top1Agreement: Double { compared == 0 ? 1 : Double(top1Matches) / Double(compared) }
    }

    private let state = Mutex(Summary())

    public init() {}

    public var summary: Summary { state.withLock { $0 } }

    /// Compares the two answers to one request.
    public func record(stable: [String: Tensor], candidate: [String: Tensor]) {
        var difference: Double = 0
        var top1 = true
        for (name, expected) in stable {
            guard let actual = candidate[name], actual.shape == expected.shape else {
                top1 = false
                continue
            }
            let a = expected.floats, b = actual.floats
            for (x, y) in zip(a, b) { difference = max(difference, Double(abs(x - y))) }
            // Top-1 per row of the last axis, for score outputs; labels compare element by element.
            let row = expected.shape.last ?? 1
            if row > 1, a.count == b.count {
                for start in stride(from: 0, to: a.count, by: row) {
                    let left = a[start..<(start + row)], right = b[start..<(start + row)]
                    if left.indices.max(by: { left[$0] < left[$1] }) != right.indices.max(by: { right[$0] < right[$1] }) { top1 = false }
                }
            } else if a != b {
                top1 = false
            }
        }
        state.withLock { summary in
            summary.compared += 1
            if top1 { summary.top1Matches += 1 }
            summary.maxAbsDiff = max(summary.maxAbsDiff, difference)
        }
    }

    public func recordCandidateError() {
        state.withLock { $0.candidateErrors += 1 }
    }
}
