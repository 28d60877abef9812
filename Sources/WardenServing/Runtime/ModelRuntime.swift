import WardenCore
import WardenRuntime
import WardenTensor

/// What executes one model version. The serving layer (queues, batching,
/// hot swap) works through this protocol only: ONNX runs in-process now, WASM
/// modules and remote Open Inference Protocol servers come later.
///
/// `infer` is called from at most `instances` threads at once and must be safe for that.
public protocol ModelRuntime: Sendable {
    /// The inputs and outputs, with dynamic dims where the model has them.
    var signature: IOSignature { get }
    /// A name for metadata and logs, like Triton's `platform`.
    var platform: String { get }
    /// Runs one inference, or one batch of several requests concatenated on the first dim.
    /// - Throws: `WardenError` (`.invalidArgument` for inputs the model cannot take).
    func infer(_ inputs: [String: Tensor]) throws -> [String: Tensor]
}

/// An ONNX model run by Warden's own executor.
public struct ONNXModelRuntime: ModelRuntime {
    public let executor: Executor

    public init(executor: Executor) {
        self.executor = executor
    }

    public var signature: IOSignature { executor.signature }
    public var platform: String { "warden_onnx" }

    public func infer(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        try executor.run(inputs)
    }
}
