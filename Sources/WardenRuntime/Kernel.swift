import Foundation
import WardenCore
import WardenONNX
import WardenTensor

/// What a kernel sees of its node: attributes with ONNX defaults, and the opset in force.
struct NodeContext {
    let node: Onnx_NodeProto
    /// The opset version of the node's domain.
    let opset: Int64
    let resolver: ExternalDataResolver
    /// What the op's preparer built from the node's attributes at load time, if it has one.
    var prepared: (any Sendable)? = nil
    /// How many threads the kernel may use (`Executor.Options.threads`); 1 means no dispatching.
    var threads: Int = 1
    /// The call's buffers for planned values, and the slot of each of the node's outputs (-1: not planned).
    var arena: Arena? = nil
    var outputSlots: [Int] = []

    var op: String { node.opType }
    var name: String { node.name.isEmpty ? node.opType : "\(node.opType) '\(node.name)'" }

    func attribute(_ name: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == name } }
    func int(_ name: String, _ defaultValue: Int) -> Int { attribute(name).map { Int($0.i) } ?? defaultValue }
    func float(_ name: String, _ defaultValue: Float) -> Float { attribute(name).map(\.f) ?? defaultValue }
    func ints(_ name: String) -> [Int]? { attribute(name).map { $0.ints.map(Int.init) } }
    func floats(_ name: String) -> [Float]? { attribute(name).map(\.floats) }
    func string(_ name: String, _ defaultValue: String) -> String { attribute(name).map { String(decoding: $0.s, as: UTF8.self) } ?? defaultValue }
    func strings(_ name: String) -> [String]? { attribute(name).map { $0.strings.map { String(decoding: $0, as: UTF8.self) } } }

    /// A float buffer of `count` elements for output `index`: its planned slot's buffer when the
    /// memory plan gave it one, else a new one. The contents are unspecified unless `zeroed`;
    /// the kernel must write every element it does not want zero.
    func outputFloats(_ index: Int = 0, count: Int, zeroed: Bool = false) -> [Float] {
        if let arena, index < outputSlots.count, outputSlots[index] >= 0 {
            return arena.take(outputSlots[index], count: count, zeroed: zeroed)
        }
        return zeroed ? [Float](repeating: 0, count: count) : [Float](unsafeUninitializedCapacity: count) { $1 = count }
    }

    /// `x`'s values as float, in output `index`'s buffer (see `outputFloats`), for a kernel that then works in place.
    func outputCopy(of x: Tensor, _ index: Int = 0) -> [Float] {
        x.withFloatBuffer { source in
            var out = outputFloats(index, count: source.count)
            out.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: source) }
            return out
        }
    }

    func fail(_ why: String) -> WardenError { WardenError(.invalidArgument, "\(name): \(why)") }

    /// The input at `index`, which must be present.
    func input(_ inputs: [Tensor?], _ index: Int) throws -> Tensor {
        guard index < inputs.count, let tensor = inputs[index] else { throw fail("input \(index) is missing") }
        return tensor
    }
}

/// A kernel computes a node's outputs from its inputs.
typealias Kernel = @Sendable (NodeContext, [Tensor?]) throws -> [Tensor]

/// Builds, once at load time, what a kernel would otherwise rebuild from the
/// node's attributes on every call (a tree ensemble's flattened nodes).
typealias Preparer = @Sendable (NodeContext) throws -> any Sendable

/// Every supported (domain, op): `ai.onnx` ops by bare name, others as `domain.Op`.
enum Kernels {
    static let all: [String: Kernel] = {
        var table: [String: Kernel] = [:]
        ElementwiseKernels.register(&table)
        LinearAlgebraKernels.register(&table)
        ShapeKernels.register(&table)
        ReductionKernels.register(&table)
        MLKernels.register(&table)
        TreeEnsembleKernels.register(&table)
        MoreElementwiseKernels.register(&table)
        IndexingKernels.register(&table)
        ConvolutionKernels.register(&table)
        NormalizationKernels.register(&table)
        LayoutKernels.register(&table)
        ConvTransposeKernels.register(&table)
        VolumetricKernels.register(&table) // after ConvolutionKernels: it wraps MaxPool and AveragePool
        return table
    }()

    static let preparers: [String: Preparer] = [
        "ai.onnx.ml.TreeEnsembleClassifier": { try TreeEnsemble($0, weights: "class") },
        "ai.onnx.ml.TreeEnsembleRegressor": { try TreeEnsemble($0, weights: "target") },
    ]

    static func key(_ node: Onnx_NodeProto) -> String {
        node.domain.isEmpty || node.domain == "ai.onnx" ? node.opType : "\(node.domain).\(node.opType)"
    }
}
