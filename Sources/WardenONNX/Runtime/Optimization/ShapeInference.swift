import Foundation
import WardenCore

/// Static shape inference, run once at load time.
///
/// Walks the nodes in execution order and works out the shape of every value
/// it can: each dim is a known size (`.fixed`), a named symbol carried over
/// from a graph input's `dim_param` (`.symbolic`, e.g. the batch dim, kept by
/// every op that keeps that dim) or `.unknown`. A value whose rank cannot be
/// known is left out of the result.
///
/// The pass is conservative: it throws only when two dims are both known sizes
/// and cannot fit together (MatMul inner dims 784 vs 512, Add of [3, 4] and [5],
/// a Conv whose input channels differ from its weights' in-channels × group,
/// a constant Reshape to a different element count, Concat inputs that differ
/// off the axis). Unknown or symbolic dims never cause an error, and ops it has
/// no rule for just get unknown outputs.
enum ShapeInference {
    /// One inferred dim; the same cases as a declared one.
    typealias Dim = TensorDimension

    /// What went wrong, before it is turned into the user-facing error.
    private struct Mismatch: Error {
        let why: String
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
        var shapes: [String: [Dim]] = [:]
        var values = constants
        for (name, tensor) in constants { shapes[name] = tensor.shape.map { .fixed(Int64($0)) } }
        for (name, shape) in inputs {
            shapes[name] = shape
            values[name] = nil // a caller may override a default initializer
        }
        for node in nodes {
            let domain = node.domain.isEmpty ? "ai.onnx" : node.domain
            let opset = opsets[domain] ?? 1
            let context = NodeContext(node: node, opset: opset, resolver: resolver)
            let results: [[Dim]?]
            do {
                results = try outputs(context, shapes: shapes, values: &values)
            } catch let mismatch as Mismatch {
                let name = node.name.isEmpty ? node.output.first ?? "" : node.name
                throw WardenError(.invalidGraph, "\(node.opType) '\(name)': \(mismatch.why); the model's shapes do not fit together, re-export it or check the input shapes it declares")
            }
            for (name, shape) in zip(node.output, results) where !name.isEmpty {
                shapes[name] = shape
            }
        }
        return shapes
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
        "CastLike", "Mish", "PRelu", // PRelu: the slope is applied per channel or broadcast, never changing the shape
    ]
    private static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "And", "Or", "Xor", "Mod", "Where", "Max", "Min", "Sum", "Mean",
    ]

    /// The output shapes of one node; nil where the rank is unknown.
    private static func outputs(_ context: NodeContext, shapes: [String: [Dim]], values: inout [String: Tensor]) throws -> [[Dim]?] {
        let node = context.node
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return [] }
        func shape(_ index: Int) -> [Dim]? {
            guard index < node.input.count, !node.input[index].isEmpty else { return nil }
            return shapes[node.input[index]]
        }
        func constant(_ index: Int) -> [Int]? {
            guard index < node.input.count, !node.input[index].isEmpty else { return nil }
            return values[node.input[index]]?.int64s.map { Int(clamping: $0) }
        }
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
            if let name = node.output.first { values[name] = tensor }
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
        case "MaxPool", "AveragePool":
            guard let x = shape(0), x.count >= 3, let kernel = context.ints("kernel_shape") else { return [nil, nil] }
            let spatial = window(context, input: Array(x[2...]), kernel: kernel, ceilMode: context.int("ceil_mode", 0) != 0)
            let y = [x[0], x[1]] + spatial
            return [y, y]
        case "GlobalAveragePool", "GlobalMaxPool":
            guard let x = shape(0), x.count >= 2 else { return [nil] }
            return [[x[0], x[1]] + Array(repeating: .fixed(1), count: x.count - 2)]
        case "BatchNormalization", "LayerNormalization":
            return [shape(0)]
        case "Flatten":
            guard let x = shape(0), let axis = normalized(context.int("axis", 1), rank: x.count + 1) else { return [nil] }
            return [[product(x[..<axis]), product(x[axis...])]]
        case "Reshape":
            guard let target = constant(1) else { return [nil] }
            return [try reshape(shape(0), to: target, allowZero: context.int("allowzero", 0) != 0)]
        case "Transpose":
            guard let x = shape(0) else { return [nil] }
            let perm = context.ints("perm") ?? Array(x.indices.reversed())
            guard perm.sorted() == Array(x.indices) else { return [nil] }
            return [perm.map { x[$0] }]
        case "Concat":
            return [try concat(node.input.indices.map(shape), axis: context.int("axis", 0))]
        case "Squeeze":
            guard let x = shape(0) else { return [nil] }
            let axesInput = context.opset >= 13 && node.input.count > 1 && !node.input[1].isEmpty
            let given = axesInput ? constant(1) : context.opset >= 13 ? nil : context.ints("axes")
            if axesInput, given == nil { return [nil] } // axes computed at run time
            let axes: Set<Int>
            if let given {
                let list = given.compactMap { normalized($0, rank: x.count) }
                guard list.count == given.count else { return [nil] }
                axes = Set(list)
            } else {
                guard x.allSatisfy({ !$0.isDynamic }) else { return [nil] }
                axes = Set(x.indices.filter { x[$0] == .fixed(1) })
            }
            return [x.enumerated().filter { !axes.contains($0.offset) }.map(\.element)]
        case "Unsqueeze":
            guard let x = shape(0), let given = context.opset >= 13 ? constant(1) : context.ints("axes") else { return [nil] }
            let rank = x.count + given.count
            let list = given.compactMap { normalized($0, rank: rank) }
            guard list.count == given.count, Set(list).count == list.count else { return [nil] }
            var rest = x.makeIterator()
            return [(0..<rank).map { list.contains($0) ? .fixed(1) : rest.next() ?? .unknown }]
        case "Split":
            return split(context, x: shape(0), given: node.input.count > 1 && !node.input[1].isEmpty ? .some(constant(1)) : .none)
        case "Gather":
            guard let data = shape(0), let indices = shape(1), let axis = normalized(context.int("axis", 0), rank: data.count) else { return [nil] }
            return [Array(data[..<axis]) + indices + Array(data[(axis + 1)...])]
        case "Shape":
            guard let x = shape(0) else { return [[.unknown]] }
            let rank = x.count
            func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
            let start = clamp(context.int("start", 0))
            let end = max(start, clamp(context.int("end", rank)))
            return [[.fixed(Int64(end - start))]]
        case "ArgMax", "ArgMin":
            guard let x = shape(0), let axis = normalized(context.int("axis", 0), rank: x.count) else { return [nil] }
            return [reduce(x, axes: [axis], keepDims: context.int("keepdims", 1) != 0)]
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin":
            guard let x = shape(0) else { return [nil] }
            let fromInput = op == "ReduceSum" ? context.opset >= 13 : context.opset >= 18
            var axes: [Int]?
            if fromInput {
                if node.input.count > 1, !node.input[1].isEmpty {
                    guard let given = constant(1) else { return [nil] }
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

    // MARK: - Dims

    /// Whether two dims that must be equal are both known and differ.
    private static func conflict(_ a: Dim, _ b: Dim) -> Bool {
        if case .fixed(let x) = a, case .fixed(let y) = b { return x != y }
        return false
    }

    /// Two dims that must be equal, as one: a known size wins over a symbol, a symbol over unknown.
    private static func unify(_ a: Dim, _ b: Dim) -> Dim {
        switch (a, b) {
        case (.fixed, _): return a
        case (_, .fixed): return b
        case (.symbolic, _): return a
        default: return b
        }
    }

    /// An axis in `0..<rank`, counting negative ones from the end; nil when out of range.
    private static func normalized(_ axis: Int, rank: Int) -> Int? {
        let value = axis < 0 ? axis + rank : axis
        return (0..<rank).contains(value) ? value : nil
    }

    /// The product of some dims: known when all are, the dim itself for one symbol, else unknown.
    private static func product(_ dims: ArraySlice<Dim>) -> Dim {
        var total: Int64 = 1
        for dim in dims {
            guard case .fixed(let size) = dim else { return dims.count == 1 ? dim : .unknown }
            total = total.multipliedReportingOverflow(by: size).partialValue
        }
        return .fixed(total)
    }

    /// Multidirectional (NumPy) broadcasting.
    private static func broadcast(_ a: [Dim], _ b: [Dim]) throws -> [Dim] {
        let rank = max(a.count, b.count)
        let left = Array(repeating: Dim.fixed(1), count: rank - a.count) + a
        let right = Array(repeating: Dim.fixed(1), count: rank - b.count) + b
        return try zip(left, right).map { (x, y) -> Dim in
            switch (x, y) {
            case (.fixed(let p), .fixed(let q)):
                guard p == q || p == 1 || q == 1 else { throw Mismatch(why: "cannot broadcast \(describe(a)) with \(describe(b))") }
                return .fixed(p == 1 ? q : p)
            case (.fixed(1), _): return y
            case (_, .fixed(1)): return x
            case (.fixed, _): return x
            case (_, .fixed): return y
            case (.symbolic(let p), .symbolic(let q)) where p == q: return x
            default: return .unknown
            }
        }
    }

    /// MatMul with NumPy semantics: 1-D operands are promoted and the added dim dropped; batch dims broadcast.
    private static func matmul(_ a: [Dim], _ b: [Dim]) throws -> [Dim]? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let left = a.count == 1 ? [.fixed(1)] + a : a
        let right = b.count == 1 ? b + [.fixed(1)] : b
        if conflict(left[left.count - 1], right[right.count - 2]) {
            throw Mismatch(why: "inner dimensions differ, \(describe(a)) × \(describe(b))")
        }
        let batch: [Dim]
        do {
            batch = try broadcast(Array(left.dropLast(2)), Array(right.dropLast(2)))
        } catch is Mismatch {
            throw Mismatch(why: "the batch dimensions of \(describe(a)) and \(describe(b)) do not broadcast")
        }
        var result = batch
        if a.count > 1 { result.append(left[left.count - 2]) }
        if b.count > 1 { result.append(right[right.count - 1]) }
        return result
    }

    /// Conv output: [N, M, spatial…], with the spatial sizes when the input's are all known.
    private static func convolution(_ context: NodeContext, x: [Dim]?, w: [Dim]?) throws -> [Dim]? {
        guard let x, x.count >= 3 else { return nil }
        guard let w, w.count == x.count else { return [x[0], .unknown] + Array(repeating: .unknown, count: x.count - 2) }
        let group = context.int("group", 1)
        if case .fixed(let channels) = x[1], case .fixed(let inChannels) = w[1], group > 0, channels != inChannels * Int64(group) {
            throw Mismatch(why: "the input \(describe(x)) has \(channels) channels but the weights \(describe(w)) with group \(group) expect \(inChannels * Int64(group))")
        }
        var kernel: [Int]? = context.ints("kernel_shape")
        if kernel == nil {
            kernel = w[2...].map { dim -> Int in if case .fixed(let size) = dim { return Int(size) } else { return -1 } }
        }
        let spatial = window(context, input: Array(x[2...]), kernel: kernel ?? [], ceilMode: false)
        return [x[0], w[0]] + spatial
    }

    /// Sliding-window output sizes from `ConvolutionKernels.geometry`, when every input size and the kernel are known.
    private static func window(_ context: NodeContext, input: [Dim], kernel: [Int], ceilMode: Bool) -> [Dim] {
        let unknown = Array(repeating: Dim.unknown, count: input.count)
        let sizes = input.compactMap { dim -> Int? in if case .fixed(let size) = dim { return Int(size) } else { return nil } }
        guard sizes.count == input.count, kernel.count == input.count, kernel.allSatisfy({ $0 > 0 }),
              let geometry = try? ConvolutionKernels.geometry(context, input: sizes, kernel: kernel, ceilMode: ceilMode) else { return unknown }
        return geometry.output.map { .fixed(Int64($0)) }
    }

    /// Reshape to a constant target, with the 0 (copy) and -1 (infer) rules of the kernel.
    private static func reshape(_ x: [Dim]?, to target: [Int], allowZero: Bool) throws -> [Dim]? {
        let wildcards = target.filter { $0 == -1 }.count
        // An invalid target is the kernel's to report, with the tensor it got.
        guard wildcards <= 1, target.allSatisfy({ $0 >= -1 }) else { return nil }
        var dims: [Dim?] = target.enumerated().map { (axis, size) -> Dim? in
            if size == -1 { return nil }
            if size == 0 && !allowZero { return x.map { axis < $0.count ? $0[axis] : .fixed(0) } ?? .unknown }
            return .fixed(Int64(size))
        }
        guard let x else { return dims.map { $0 ?? .unknown } }
        // Cancel the symbols both sides share; what is left decides the -1 or a contradiction.
        var inFixed: Int64 = 1, outFixed: Int64 = 1
        var symbols: [String] = []
        var exact = true
        for dim in x {
            switch dim {
            case .fixed(let size): inFixed = inFixed.multipliedReportingOverflow(by: size).partialValue
            case .symbolic(let name): symbols.append(name)
            case .unknown: exact = false
            }
        }
        let inputIsFixed = exact && symbols.isEmpty
        var outputIsFixed = true
        for case let dim? in dims {
            switch dim {
            case .fixed(let size): outFixed = outFixed.multipliedReportingOverflow(by: size).partialValue
            case .symbolic(let name):
                outputIsFixed = false
                if let index = symbols.firstIndex(of: name) { symbols.remove(at: index) } else { exact = false }
            case .unknown: outputIsFixed = false; exact = false
            }
        }
        guard let hole = dims.firstIndex(where: { $0 == nil }) else {
            if inputIsFixed, outputIsFixed, inFixed != outFixed {
                throw Mismatch(why: "cannot reshape \(describe(x)) (\(inFixed) elements) to \(target) (\(outFixed) elements)")
            }
            return dims.map { $0 ?? .unknown }
        }
        if inputIsFixed, outputIsFixed, outFixed == 0 || inFixed % outFixed != 0 {
            throw Mismatch(why: "cannot reshape \(describe(x)) (\(inFixed) elements) to \(target): \(inFixed) is not a multiple of \(outFixed)")
        }
        if exact, symbols.isEmpty, outFixed > 0, inFixed % outFixed == 0 {
            dims[hole] = .fixed(inFixed / outFixed)
        } else if exact, symbols.count == 1, inFixed == outFixed {
            dims[hole] = .symbolic(symbols[0])
        } else {
            dims[hole] = .unknown
        }
        return dims.map { $0 ?? .unknown }
    }

    /// Concat: equal ranks, equal dims off the axis, the axis dims summed.
    private static func concat(_ inputs: [[Dim]?], axis: Int) throws -> [Dim]? {
        let known = inputs.compactMap { $0 }
        guard let first = known.first, let axis = normalized(axis, rank: first.count) else { return nil }
        for other in known where other.count != first.count {
            throw Mismatch(why: "the inputs have different ranks, \(describe(first)) and \(describe(other))")
        }
        var result = first
        for other in known.dropFirst() {
            for index in first.indices where index != axis {
                if conflict(result[index], other[index]) {
                    throw Mismatch(why: "the inputs differ off axis \(axis), \(describe(first)) and \(describe(other))")
                }
                result[index] = unify(result[index], other[index])
            }
        }
        if known.count == inputs.count, known.allSatisfy({ !$0[axis].isDynamic }) {
            let total = known.reduce(Int64(0)) { sum, shape in
                if case .fixed(let size) = shape[axis] { return sum + size }
                return sum
            }
            result[axis] = .fixed(total)
        } else {
            result[axis] = .unknown
        }
        return result
    }

    /// Split: the sizes given (attribute before opset 13, input after), `num_outputs` chunks, or equal parts.
    /// Sizes that do not add up are the kernel's to report.
    /// - Parameter given: nil without a sizes input; `.some(nil)` for one computed at run time.
    private static func split(_ context: NodeContext, x: [Dim]?, given: [Int]??) -> [[Dim]?] {
        let outputs = context.node.output.count
        guard let x, let axis = normalized(context.int("axis", 0), rank: x.count) else { return [] }
        func part(_ size: Dim) -> [Dim] {
            var shape = x
            shape[axis] = size
            return shape
        }
        let sizes: [Int]? = context.opset >= 13 ? given ?? nil : context.ints("split") ?? given ?? nil
        if let sizes, !sizes.isEmpty {
            guard sizes.count == outputs else { return [] }
            return sizes.map { part(.fixed(Int64($0))) }
        }
        if case .some(.none) = given, context.opset >= 13 { return Array(repeating: part(.unknown), count: outputs) }
        guard case .fixed(let total) = x[axis], outputs > 0 else { return Array(repeating: part(.unknown), count: outputs) }
        if context.opset >= 18, context.attribute("num_outputs") != nil {
            guard context.int("num_outputs", 0) == outputs else { return [] }
            let chunk = (total + Int64(outputs) - 1) / Int64(outputs)
            return (0..<Int64(outputs)).map { part(.fixed(max(0, min(chunk, total - $0 * chunk)))) }
        }
        guard total % Int64(outputs) == 0 else { return [] }
        return Array(repeating: part(.fixed(total / Int64(outputs))), count: outputs)
    }

    /// A reduction's output: the reduced axes become 1, or go away without keepdims.
    private static func reduce(_ x: [Dim], axes: Set<Int>, keepDims: Bool) -> [Dim] {
        x.enumerated().compactMap { axis, dim in
            guard axes.contains(axis) else { return dim }
            return keepDims ? .fixed(1) : nil
        }
    }
}
