import Foundation
import WardenCore
import WardenONNX
import WardenTensor

/// Static shape inference, run once at load time.
///
/// Walks the nodes in execution order and works out the shape of every value
/// it can: each dim is a known size (`.fixed`), a named symbol carried over
/// from a graph input's `dim_param` (`.symbolic`, e.g. the batch dim, kept by
/// every op that keeps that dim) or `.unknown`. A value whose rank cannot be
/// known is left out of the result.
///
/// Small integer tensors computed from shapes carry their elements too, as
/// dims: `Shape` of a `[batch, 3]` value is the vector `[batch, 3]`, and
/// Gather, Slice, Concat, Unsqueeze, Squeeze, Cast and integer arithmetic keep
/// them, so the Reshape, Expand, Tile and ConstantOfShape targets PyTorch
/// exports compute from `Shape(x)` give known or symbolic dims.
///
/// The pass is conservative: it throws only when two dims are both known sizes
/// and cannot fit together (MatMul inner dims 784 vs 512, Add of [3, 4] and [5],
/// a Conv whose input channels differ from its weights' in-channels × group,
/// a Reshape to a different element count, Concat inputs that differ off the
/// axis, an Expand to a shape the input does not broadcast to, …). Unknown or
/// symbolic dims never cause an error, and ops it has no rule for just get
/// unknown outputs.
enum ShapeInference {
    /// One inferred dim; the same cases as a declared one.
    typealias Dim = TensorDimension

    /// What went wrong, before it is turned into the user-facing error.
    struct Mismatch: Error {
        let why: String
    }

    /// Carried elements are kept for vectors up to this length (shapes, axes, pads), not for data.
    static let elementLimit = 64

    /// What is known so far about the graph's values.
    struct State {
        var shapes: [String: [Dim]] = [:]
        /// Exact tensors: initializers, folded constants and Constant nodes.
        var constants: [String: Tensor] = [:]
        /// The elements of small integer tensors (rank 0 or 1) computed from shapes, e.g. `Shape(x)` as `[batch, 3]`.
        var elements: [String: [Dim]] = [:]
    }

    /// One node's inputs as far as they are known.
    struct Operands {
        let node: Onnx_NodeProto
        let state: State

        var count: Int { node.input.count }

        /// Whether input `index` is given (optional inputs may be absent or named "").
        func has(_ index: Int) -> Bool { index < node.input.count && !node.input[index].isEmpty }

        func shape(_ index: Int) -> [Dim]? { has(index) ? state.shapes[node.input[index]] : nil }

        func tensor(_ index: Int) -> Tensor? { has(index) ? state.constants[node.input[index]] : nil }

        /// The elements of a small integer input: carried from shapes, or read from a constant.
        func elements(_ index: Int) -> [Dim]? {
            guard has(index) else { return nil }
            if let carried = state.elements[node.input[index]] { return carried }
            guard let tensor = tensor(index), tensor.shape.count <= 1, tensor.elementCount <= ShapeInference.elementLimit else { return nil }
            switch tensor.storage {
            case .int64, .int32, .int8, .uint8, .bool: return tensor.int64s.map { .fixed($0) }
            default: return nil
            }
        }

        /// The values of an input that must be known exactly (axes, pads, sizes): a constant, or carried elements that are all known.
        func ints(_ index: Int) -> [Int]? {
            guard has(index) else { return nil }
            if let tensor = tensor(index) { return tensor.int64s.map { Int(clamping: $0) } }
            return state.elements[node.input[index]].flatMap(ShapeInference.sizes)
        }
    }

    /// Infers the shape of every value it can.
    /// - Parameters:
    ///   - nodes: the nodes in execution order (after constant folding, so folded Reshape targets and Squeeze axes are known).
    ///   - inputs: the declared shapes of the graph inputs a caller feeds; nil for an unknown rank.
    ///   - constants: the initializers (and folded constants); their shapes and values are exact.
    ///   - opsets: opset per domain, for the ops whose attributes moved to inputs.
    ///   - resolver: reads external data for Constant nodes.
    /// - Returns: shapes by value name, for every value whose rank is known.
    /// - Throws: `.invalidGraph` naming the node and the two shapes that contradict each other.
    static func infer(_ nodes: [Onnx_NodeProto], inputs: [String: [Dim]?], constants: [String: Tensor],
                      opsets: [String: Int64], resolver: ExternalDataResolver) throws -> [String: [Dim]] {
        var state = State(constants: constants)
        for (name, tensor) in constants { state.shapes[name] = tensor.shape.map { .fixed(Int64($0)) } }
        for (name, shape) in inputs {
            state.shapes[name] = shape
            state.constants[name] = nil // a caller may override a default initializer
        }
        for node in nodes {
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            let opset = opsets[domain] ?? 1
            let context = NodeContext(node: node, opset: opset, resolver: resolver)
            let operands = Operands(node: node, state: state)
            let results: [[Dim]?]
            do {
                switch domain {
                case "ai.onnx": results = try outputs(context, operands, constants: &state.constants)
                case "ai.onnx.ml": results = try mlOutputs(context, operands)
                default: results = []
                }
            } catch let mismatch as Mismatch {
                let name = node.name.isEmpty ? node.output.first ?? "" : node.name
                throw WardenError(.invalidGraph, "\(node.opType) '\(name)': \(mismatch.why); the model's shapes do not fit together, re-export it or check the input shapes it declares")
            }
            for (name, shape) in zip(node.output, results) where !name.isEmpty {
                state.shapes[name] = shape
            }
            if domain == "ai.onnx", let name = node.output.first, !name.isEmpty, state.constants[name] == nil,
               let shape = results.first ?? nil, let elements = carried(context, operands, output: shape) {
                // Only a scalar or a vector whose length the elements match; anything else is a rule's mistake, not a value.
                let fits = shape.isEmpty ? elements.count == 1 : shape == [.fixed(Int64(elements.count))]
                if fits, elements.count <= elementLimit { state.elements[name] = elements }
            }
        }
        return state.shapes
    }

    /// Checks the inferred graph outputs against the shapes the graph declares.
    /// - Throws: `.invalidGraph` when a known rank or size differs from a declared one.
    static func checkOutputs(_ declared: [TensorSpec], inferred: [String: [Dim]]) throws {
        for spec in declared {
            guard let expected = spec.shape, let actual = inferred[spec.name] else { continue }
            let contradicts = expected.count != actual.count || zip(expected, actual).contains { pair in
                if case .fixed(let a) = pair.0, case .fixed(let b) = pair.1 { return a != b }
                return false
            }
            if contradicts {
                throw WardenError(.invalidGraph, "graph output '\(spec.name)' is declared as \(spec.shapeDescription) but the model computes \(describe(actual)); the model's shapes do not fit together, re-export it or fix the output shape it declares")
            }
        }
    }

    /// `[batch, 3, ?]`.
    static func describe(_ shape: [Dim]?) -> String {
        guard let shape else { return "[*]" }
        return "[" + shape.map(\.description).joined(separator: ", ") + "]"
    }

    // MARK: - Rules

    private static let sameShape: Set<String> = [
        "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Erf", "Gelu", "LeakyRelu", "Clip",
        "Softmax", "LogSoftmax", "Identity", "Dropout", "Cast", "Not", "Elu", "Selu", "HardSigmoid", "HardSwish",
        "Softplus", "Softsign", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "IsNaN", "IsInf",
        "CastLike", "Mish", "Shrink", "InstanceNormalization", "LRN",
        "PRelu", // PRelu: the slope is applied per channel or broadcast, never changing the shape
    ]
    private static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "And", "Or", "Xor", "Mod", "Where", "Max", "Min", "Sum", "Mean",
    ]

    /// The output shapes of one `ai.onnx` node; nil where the rank is unknown.
    private static func outputs(_ context: NodeContext, _ operands: Operands, constants: inout [String: Tensor]) throws -> [[Dim]?] {
        let node = context.node
        let shape = operands.shape
        let op = node.opType
        if sameShape.contains(op) {
            let x = shape(0)
            return [x, x] // Dropout's mask has the input's shape too
        }
        if broadcasting.contains(op) {
            var result = shape(0)
            for index in 1..<max(node.input.count, 1) {
                guard let current = result, let next = shape(index) else { return [nil] }
                result = try broadcast(current, next)
            }
            return [result]
        }
        switch op {
        case "Constant":
            guard let kernel = Kernels.all["Constant"], let tensor = try? kernel(context, []).first else { return [nil] }
            if let name = node.output.first { constants[name] = tensor }
            return [tensor.shape.map { .fixed(Int64($0)) }]
        case "MatMul":
            guard let a = shape(0), let b = shape(1) else { return [nil] }
            return [try matmul(a, b)]
        case "Gemm":
            guard let a = shape(0), let b = shape(1), a.count == 2, b.count == 2 else { return [nil] }
            let transA = context.int("transA", 0) != 0, transB = context.int("transB", 0) != 0
            let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
            let (kb, n) = transB ? (b[1], b[0]) : (b[0], b[1])
            if conflict(k, kb) {
                throw Mismatch(why: "inner dimensions differ, A is \(describe(a))\(transA ? "ᵀ" : "") and B is \(describe(b))\(transB ? "ᵀ" : "")")
            }
            if let c = shape(2) { _ = try broadcast(c, [m, n]) }
            return [[m, n]]
        case "Conv":
            return [try convolution(context, x: shape(0), w: shape(1))]
        case "ConvTranspose":
            return [try convTranspose(context, x: shape(0), w: shape(1))]
        case "MaxPool", "AveragePool":
            guard let x = shape(0), x.count >= 3, let kernel = context.ints("kernel_shape") else { return [nil, nil] }
            let spatial = window(context, input: Array(x[2...]), kernel: kernel, ceilMode: context.int("ceil_mode", 0) != 0)
            let y = [x[0], x[1]] + spatial
            return [y, y]
        case "GlobalAveragePool", "GlobalMaxPool":
            guard let x = shape(0), x.count >= 2 else { return [nil] }
            return [[x[0], x[1]] + Array(repeating: .fixed(1), count: x.count - 2)]
        case "BatchNormalization":
            return [shape(0)]
        case "LayerNormalization":
            guard let x = shape(0) else { return [nil, nil, nil] }
            guard let axis = normalized(context.int("axis", -1), rank: x.count) else { return [x, nil, nil] }
            let statistics = Array(x[..<axis]) + Array(repeating: .fixed(1), count: x.count - axis)
            return [x, statistics, statistics]
        case "Flatten":
            let raw = context.int("axis", 1)
            guard let x = shape(0), let axis = normalized(raw < 0 ? raw + x.count : raw, rank: x.count + 1) else { return [nil] }
            return [[product(x[..<axis]), product(x[axis...])]]
        case "Reshape":
            guard let target = vector(operands, 1) else { return [nil] }
            return [try reshape(shape(0), to: target, allowZero: context.int("allowzero", 0) != 0)]
        case "Transpose":
            guard let x = shape(0) else { return [nil] }
            let perm = context.ints("perm") ?? Array(x.indices.reversed())
            guard perm.sorted() == Array(x.indices) else { return [nil] }
            return [perm.map { x[$0] }]
        case "Concat":
            return [try concat(node.input.indices.map(shape), axis: context.int("axis", 0))]
        case "Squeeze":
            return [squeeze(context, operands)]
        case "Unsqueeze":
            guard let x = shape(0), let given = context.opset >= 13 ? operands.ints(1) : context.ints("axes") else { return [nil] }
            let rank = x.count + given.count
            let list = given.compactMap { normalized($0, rank: rank) }
            guard list.count == given.count, Set(list).count == list.count else { return [nil] }
            var rest = x.makeIterator()
            return [(0..<rank).map { list.contains($0) ? .fixed(1) : rest.next() ?? .unknown }]
        case "Split":
            return split(context, x: shape(0), given: operands.has(1) ? .some(operands.ints(1)) : .none)
        case "Slice":
            return [slice(context, operands)]
        case "Pad":
            return [try pad(context, operands)]
        case "Expand":
            return [try expand(operands)]
        case "Tile":
            return [tile(operands)]
        case "ConstantOfShape":
            return [vector(operands, 0).flatMap { target in target.contains { $0.isNegative } ? nil : target }]
        case "Range":
            return [range(operands)]
        case "Gather":
            guard let data = shape(0), let indices = shape(1), let axis = normalized(context.int("axis", 0), rank: data.count) else { return [nil] }
            return [Array(data[..<axis]) + indices + Array(data[(axis + 1)...])]
        case "Shape":
            guard let x = shape(0) else { return [[.unknown]] }
            let range = shapeRange(context, rank: x.count)
            return [[.fixed(Int64(range.count))]]
        case "Size":
            return [[]]
        case "ArgMax", "ArgMin":
            guard let x = shape(0), let axis = normalized(context.int("axis", 0), rank: x.count) else { return [nil] }
            return [reduce(x, axes: [axis], keepDims: context.int("keepdims", 1) != 0)]
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin":
            guard let x = shape(0) else { return [nil] }
            let fromInput = op == "ReduceSum" ? context.opset >= 13 : context.opset >= 18
            var axes: [Int]?
            if fromInput {
                if operands.has(1) {
                    guard let given = operands.ints(1) else { return [nil] }
                    axes = given
                }
            } else {
                axes = context.ints("axes")
            }
            if axes?.isEmpty == true, context.int("noop_with_empty_axes", 0) != 0 { return [x] }
            let list = (axes.flatMap { $0.isEmpty ? nil : $0 } ?? Array(x.indices)).compactMap { normalized($0, rank: x.count) }
            return [reduce(x, axes: Set(list), keepDims: context.int("keepdims", 1) != 0)]
        default:
            return []
        }
    }

    /// The dims a 1-D target input names (Reshape, Expand, Tile, ConstantOfShape): its elements when carried or
    /// constant, else as many unknown dims as its length when that is known; nil when not even the length is.
    static func vector(_ operands: Operands, _ index: Int) -> [Dim]? {
        if let elements = operands.elements(index) { return elements }
        if let tensor = operands.tensor(index) { return tensor.int64s.map { .fixed($0) } }
        // A declared length is a rank here; one beyond any real rank is no shape to build.
        guard let shape = operands.shape(index), shape.count == 1, case .fixed(let length) = shape[0],
              (0...Int64(elementLimit)).contains(length) else { return nil }
        return Array(repeating: .unknown, count: Int(length))
    }

    /// The axes `Shape` returns: opset 15's `start` and `end`, negative from the back, clamped.
    static func shapeRange(_ context: NodeContext, rank: Int) -> Range<Int> {
        func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
        let start = clamp(context.int("start", 0))
        return start..<max(start, clamp(context.int("end", rank)))
    }
}
