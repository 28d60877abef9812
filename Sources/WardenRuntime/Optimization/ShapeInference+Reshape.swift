import Foundation
import WardenCore
import WardenTensor

/// Ops that move dims around without reading data: Reshape, Concat, Split and the reductions.
extension ShapeInference {
    /// Reshape, with the 0 (copy) and -1 (infer) rules of the kernel. The target's elements may be symbols
    /// (`Shape(x)[0]` is `batch`) or unknown; an unknown one could be a 0 or a -1, so it never decides a contradiction.
    static func reshape(_ x: [Dim]?, to target: [Dim], allowZero: Bool) throws -> [Dim]? {
        let wildcards = target.filter { $0 == .fixed(-1) }.count
        // An invalid target is the kernel's to report, with the tensor it got.
        guard wildcards <= 1, !target.contains(where: { if case .fixed(let size) = $0 { return size < -1 } else { return false } }) else { return nil }
        var dims: [Dim?] = target.enumerated().map { (axis, size) -> Dim? in
            if size == .fixed(-1) { return nil }
            if size == .fixed(0) && !allowZero { return x.map { axis < $0.count ? $0[axis] : .fixed(0) } ?? .unknown }
            return size
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
                throw Mismatch(why: "cannot reshape \(describe(x)) (\(inFixed) elements) to \(describe(target)) (\(outFixed) elements)")
            }
            return dims.map { $0 ?? .unknown }
        }
        if inputIsFixed, outputIsFixed, outFixed == 0 || inFixed % outFixed != 0 {
            throw Mismatch(why: "cannot reshape \(describe(x)) (\(inFixed) elements) to \(describe(target)): \(inFixed) is not a multiple of \(outFixed)")
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
    static func concat(_ inputs: [[Dim]?], axis: Int) throws -> [Dim]? {
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
    static func split(_ context: NodeContext, x: [Dim]?, given: [Int]??) -> [[Dim]?] {
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
    static func reduce(_ x: [Dim], axes: Set<Int>, keepDims: Bool) -> [Dim] {
        x.enumerated().compactMap { axis, dim in
            guard axes.contains(axis) else { return dim }
            return keepDims ? .fixed(1) : nil
        }
    }

    /// Squeeze: the axes given (attribute before opset 13, input after), or every known 1.
    static func squeeze(_ context: NodeContext, _ operands: Operands) -> [Dim]? {
        guard let x = operands.shape(0) else { return nil }
        let axesInput = context.opset >= 13 && operands.has(1)
        let given = axesInput ? operands.ints(1) : context.opset >= 13 ? nil : context.ints("axes")
        if axesInput, given == nil { return nil } // axes computed at run time
        let axes: Set<Int>
        if let given {
            let list = given.compactMap { normalized($0, rank: x.count) }
            guard list.count == given.count else { return nil }
            axes = Set(list)
        } else {
            guard x.allSatisfy({ !$0.isDynamic }) else { return nil }
            axes = Set(x.indices.filter { x[$0] == .fixed(1) })
        }
        return x.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }
}
