import WardenCore
import WardenModel

/// How a model version is served, from the `serving` mapping of its card.
/// The keys follow Triton's model configuration:
///
/// ```yaml
/// serving:
///   max_batch_size: 32                  # 0 or 1: no batching
///   preferred_batch_sizes: [8, 16]      # run at once when a batch reaches one of these
///   max_queue_delay_microseconds: 500   # how long the first request waits for others
///   max_queue_size: 1024                # requests waiting; more get 503 + Retry-After
///   instances: 1                        # inferences of this version that run at once
///   timeout_microseconds: 0             # default per-request timeout (0: none)
///   intra_op_threads: 1                 # threads one inference uses inside its ops (default: the cores)
/// ```
public struct ServingSettings: Sendable, Hashable {
    public var maxBatchSize = 0
    public var preferredBatchSizes: [Int] = []
    public var maxQueueDelayMicroseconds = 0
    public var maxQueueSize = 1024
    public var instances = 1
    public var defaultTimeoutMicroseconds = 0
    /// Threads one inference may use inside its ops (GEMM tiles, Conv blocks); nil: the active cores.
    public var intraOpThreads: Int?

    public static let keys = ["max_batch_size", "preferred_batch_sizes", "max_queue_delay_microseconds", "max_queue_size", "instances", "timeout_microseconds", "intra_op_threads"]

    public init() {}

    /// Reads the card's `serving` mapping.
    /// - Throws: `.invalidCard` naming the key that is wrong and what it takes.
    public init(card: [String: CardValue]?) throws {
        self.init()
        guard let card else { return }
        func fail(_ key: String, _ why: String) -> WardenError {
            WardenError(.invalidCard, "\(ModelCard.fileName): serving.\(key): \(why)")
        }
        func count(_ key: String, _ value: CardValue, minimum: Int) throws -> Int {
            guard case .int(let number) = value, number >= minimum else {
                throw fail(key, "must be a whole number ≥ \(minimum)")
            }
            return number
        }
        for (key, value) in card {
            switch key {
            case "max_batch_size": maxBatchSize = try count(key, value, minimum: 0)
            case "max_queue_delay_microseconds": maxQueueDelayMicroseconds = try count(key, value, minimum: 0)
            case "max_queue_size": maxQueueSize = try count(key, value, minimum: 1)
            case "instances": instances = try count(key, value, minimum: 1)
            case "timeout_microseconds": defaultTimeoutMicroseconds = try count(key, value, minimum: 0)
            case "intra_op_threads": intraOpThreads = try count(key, value, minimum: 1)
            case "preferred_batch_sizes":
                guard case .array(let sizes) = value else { throw fail(key, "must be a list of batch sizes, such as [8, 16]") }
                preferredBatchSizes = try sizes.map { try count(key, $0, minimum: 1) }.sorted()
            default:
                throw fail(key, "unknown setting; the serving settings are \(Self.keys.joined(separator: ", "))")
            }
        }
        if let largest = preferredBatchSizes.last, largest > maxBatchSize {
            throw fail("preferred_batch_sizes", "\(largest) is larger than max_batch_size (\(maxBatchSize))")
        }
    }
}
