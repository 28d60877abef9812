import Foundation
import WardenCore
import WardenTensor

/// Pad (constant, reflect, edge and wrap; the opset-2 attribute form and
/// the opset-11 input form with opset-18 `axes`) and Split (sizes as an
/// attribute before opset 13, as an input after; `num_outputs` from opset 18).
/// Both move elements of any type without converting them.
enum LayoutKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["Pad"] = { context, inputs in [try pad(context, inputs)] }
        table["Split"] = { context, inputs in try split(context, inputs) }
    }

    /// The largest pad Warden accepts on one side of an axis, so sizes cannot overflow.
    static let padLimit = 1 << 40

    static func pad(_ context: NodeContext, _ inputs: [Tensor?]) throws -> Tensor {
        let x = try context.input(inputs, 0)
        let rank = x.shape.count
        let mode = context.string("mode", "constant")
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else {
            throw context.fail("mode '\(mode)' is not one of constant, reflect, edge, wrap")
        }
        let pads: [Int]
        let fill: Tensor?
        var axes = Array(0..<rank)
        if context.opset >= 11 {
            pads = try context.input(inputs, 1).int64s.map { Int($0) }
            fill = inputs.count > 2 ? inputs[2] : nil
            if let given = fill, given.elementCount != 1 {
                throw context.fail("constant_value must be one value, got \(given.shapeDescription)")
            }
            if inputs.count > 3, let given = inputs[3] {
                axes = try given.int64s.map { try Shape.axis(Int($0), rank: rank, op: context.name) }
                guard Set(axes).count == axes.count else { throw context.fail("axes \(given.int64s) name an axis twice") }
            }
        } else {
            guard let given = context.ints("pads") ?? context.ints("paddings") else { throw context.fail("the attribute 'pads' is required") }
            pads = given
            fill = Tensor(shape: [], floats: [context.float("value", 0)])
        }
        guard pads.count == 2 * axes.count else {
            throw context.fail("pads has \(pads.count) values; it needs \(2 * axes.count): a begin and an end for each of \(axes.count) axes of \(x.shapeDescription)")
        }
        guard pads.allSatisfy({ (-padLimit...padLimit).contains($0) }) else { throw context.fail("pads \(pads) are too large") }
        var begin = Array(repeating: 0, count: rank), end = Array(repeating: 0, count: rank)
        for (index, axis) in axes.enumerated() {
            begin[axis] = pads[index]
            end[axis] = pads[index + axes.count]
        }
        var shape: [Int] = []
        for axis in 0..<rank {
            let size = x.shape[axis], out = size + begin[axis] + end[axis]
            if begin[axis] + end[axis] < 0, out <= 0 {
                throw context.fail("pads \(begin[axis]) and \(end[axis]) on axis \(axis) remove all \(size) elements of \(x.shapeDescription)")
            }
            if mode != "constant", size == 0, out > 0 {
                throw context.fail("cannot \(mode)-pad axis \(axis) of \(x.shapeDescription): it is empty")
            }
            shape.append(out)
        }
        guard let total = Shape.count(shape), total <= 1 << 28, shape.allSatisfy({ $0 <= 1 << 28 }) else {
            throw context.fail("the padded shape \(shape) is too large")
        }

        // Per axis, the input coordinate of each output coordinate, or -1 for the constant.
        let maps: [[Int]] = (0..<rank).map { axis in
            let size = x.shape[axis]
            return (0..<shape[axis]).map { coordinate in
                let source = coordinate - begin[axis]
                if (0..<size).contains(source) { return source }
                switch mode {
                case "edge": return min(max(source, 0), size - 1)
                case "wrap": return ((source % size) + size) % size
                case "reflect":
                    guard size > 1 else { return 0 }
                    let period = 2 * (size - 1)
                    let folded = ((source % period) + period) % period
                    return folded < size ? folded : period - folded
                default: return -1
                }
            }
        }
        let strides = Shape.strides(x.shape)
        var sources = [Int](repeating: -1, count: total)
        var index = Array(repeating: 0, count: rank)
        for position in 0..<total {
            var offset = 0
            for axis in 0..<rank {
                let source = maps[axis][index[axis]]
                if source < 0 { offset = -1; break }
                offset += source * strides[axis]
            }
            sources[position] = offset
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: shape, storage: pick(x.storage, sources, fill: fill))
    }

    static func split(_ context: NodeContext, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try context.input(inputs, 0)
        guard !x.shape.isEmpty else { throw context.fail("cannot split a scalar") }
        let axis = try Shape.axis(context.int("axis", 0), rank: x.shape.count, op: context.name)
        let size = x.shape[axis]
        let outputs = context.node.output.count
        guard outputs > 0 else { throw context.fail("has no outputs") }
        let fromInput = inputs.count > 1 ? inputs[1]?.int64s.map { Int($0) } : nil
        let given = context.opset >= 13 ? fromInput : context.ints("split") ?? fromInput
        var sizes: [Int]
        if let given, !given.isEmpty {
            guard given.count == outputs else { throw context.fail("split has \(given.count) sizes for \(outputs) outputs") }
            guard given.allSatisfy({ (0...size).contains($0) }), given.reduce(0, +) == size else {
                throw context.fail("split sizes \(given) must be non-negative and add up to \(size), the size of axis \(axis) of \(x.shapeDescription)")
            }
            sizes = given
        } else if context.opset >= 18, context.attribute("num_outputs") != nil {
            let parts = context.int("num_outputs", 0)
            guard parts == outputs else { throw context.fail("num_outputs is \(parts) but the node has \(outputs) outputs") }
            // Chunks of ceil(size / parts); the last ones are smaller.
            let chunk = (size + parts - 1) / parts
            sizes = (0..<parts).map { max(0, min(chunk, size - $0 * chunk)) }
        } else {
            guard size % outputs == 0 else {
                throw context.fail("axis \(axis) of \(x.shapeDescription) does not split into \(outputs) equal parts; give the sizes in 'split'")
            }
            sizes = Array(repeating: size / outputs, count: outputs)
        }
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        var start = 0
        return sizes.map { part in
            var sources: [Int] = []
            sources.reserveCapacity(outer * part * inner)
            for o in 0..<outer {
                let base = (o * size + start) * inner
                sources.append(contentsOf: base..<(base + part * inner))
            }
            start += part
            var shape = x.shape
            shape[axis] = part
            return Tensor(shape: shape, storage: pick(x.storage, sources, fill: nil))
        }
    }

    /// The elements of `storage` at `sources`, in order; a source of -1 takes
    /// `fill`'s value in the element type of `storage` (zero or empty without one).
    static func pick(_ storage: Tensor.Storage, _ sources: [Int], fill: Tensor?) -> Tensor.Storage {
        func take<C: RandomAccessCollection>(_ values: C, _ padding: C.Element) -> [C.Element] where C.Index == Int {
            sources.map { $0 >= 0 ? values[$0] : padding }
        }
        let integer = fill?.int64s.first ?? 0
        switch storage {
        case .float(let values): return .float(take(values, fill?.floats.first ?? 0))
        case .mappedFloat(let mapped): return .float(mapped.withUnsafeBufferPointer { take($0, fill?.floats.first ?? 0) })
        case .double(let values):
            if case .double(let given)? = fill?.storage { return .double(take(values, given.first ?? 0)) }
            return .double(take(values, Double(fill?.floats.first ?? 0)))
        case .int64(let values): return .int64(take(values, integer))
        case .int32(let values): return .int32(take(values, Int32(truncatingIfNeeded: integer)))
        case .int8(let values): return .int8(take(values, Int8(truncatingIfNeeded: integer)))
        case .uint8(let values): return .uint8(take(values, UInt8(truncatingIfNeeded: integer)))
        case .bool(let values): return .bool(take(values, integer != 0))
        case .string(let values):
            if case .string(let given)? = fill?.storage { return .string(take(values, given.first ?? "")) }
            return .string(take(values, ""))
        }
    }
}
