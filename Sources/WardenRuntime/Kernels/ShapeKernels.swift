import Foundation
import WardenCore
import WardenONNX
import WardenTensor

/// Shape and layout ops, Cast and Constant.
enum ShapeKernels {
    static func register(_ table: inout [String: Kernel]) {
        table["Reshape"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let requested = try context.input(inputs, 1).int64s.map(Int.init)
            let allowZero = context.int("allowzero", 0) != 0
            var shape = requested.enumerated().map { axis, dim in dim == 0 && !allowZero && axis < x.shape.count ? x.shape[axis] : dim }
            let unknown = shape.indices.filter { shape[$0] == -1 }
            guard unknown.count <= 1, shape.allSatisfy({ $0 >= -1 }) else { throw context.fail("cannot reshape \(x.shapeDescription) to \(requested)") }
            if let axis = unknown.first {
                // The requested dims can come from a request: a product that overflows is refused, not trapped on.
                guard let known = Shape.count(shape.enumerated().filter { $0.offset != axis }.map(\.element)), known > 0, x.elementCount % known == 0 else { throw context.fail("cannot reshape \(x.shapeDescription) to \(requested)") }
                shape[axis] = x.elementCount / known
            }
            guard Shape.count(shape) == x.elementCount else { throw context.fail("cannot reshape \(x.shapeDescription) (\(x.elementCount) elements) to \(requested)") }
            return [Tensor(shape: shape, storage: x.storage)]
        }
        table["Flatten"] = { context, inputs in
            let x = try context.input(inputs, 0)
            // axis is in [-rank, rank]: a negative one counts from the input's rank, not rank + 1.
            let raw = context.int("axis", 1)
            let axis = try Shape.axis(raw < 0 ? raw + x.shape.count : raw, rank: x.shape.count + 1, op: context.name)
            return [Tensor(shape: [x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)], storage: x.storage)]
        }
        table["Cast"] = { context, inputs in
            let x = try context.input(inputs, 0)
            guard let to = TensorDataType(onnx: Int32(context.int("to", 0))) else { throw context.fail("'to' names no ONNX type") }
            return [try cast(x, to: to, context)]
        }
        table["Constant"] = { context, _ in
            if let attribute = context.attribute("value") { return [try TensorDecoding.tensor(attribute.t, resolver: context.resolver)] }
            if let value = context.attribute("value_float") { return [Tensor(shape: [], floats: [value.f])] }
            if let value = context.attribute("value_floats") { return [Tensor(shape: [value.floats.count], floats: value.floats)] }
            if let value = context.attribute("value_int") { return [Tensor(shape: [], int64s: [value.i])] }
            if let value = context.attribute("value_ints") { return [Tensor(shape: [value.ints.count], int64s: value.ints)] }
            throw context.fail("has no value attribute Warden supports")
        }
        table["Shape"] = { context, inputs in
            let x = try context.input(inputs, 0)
            // Opset 15 slices the shape with `start` and `end` (negative counts from the back, clamped).
            let rank = x.shape.count
            func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
            let start = clamp(context.int("start", 0))
            let end = max(start, clamp(context.int("end", rank)))
            let dims = x.shape[start..<end].map(Int64.init)
            return [Tensor(shape: [dims.count], int64s: dims)]
        }
        table["Transpose"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let permutation = context.ints("perm") ?? Array(x.shape.indices.reversed())
            guard permutation.sorted() == Array(x.shape.indices) else { throw context.fail("perm \(permutation) is not a permutation of the axes of \(x.shapeDescription)") }
            return [transpose(x, permutation)]
        }
        table["Concat"] = { context, inputs in
            let parts = inputs.compactMap { $0 }
            guard let first = parts.first else { throw context.fail("needs at least one input") }
            let axis = try Shape.axis(context.int("axis", 0), rank: first.shape.count, op: context.name)
            for part in parts where part.shape.count != first.shape.count
                || zip(part.shape, first.shape).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
                throw context.fail("inputs \(first.shapeDescription) and \(part.shapeDescription) differ outside axis \(axis)")
            }
            var shape = first.shape
            shape[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
            let outer = first.shape[..<axis].reduce(1, *)
            if case .int64 = first.storage {
                var out: [Int64] = []
                for o in 0..<outer {
                    for part in parts {
                        let chunk = part.shape[axis...].reduce(1, *)
                        out += part.int64s[(o * chunk)..<((o + 1) * chunk)]
                    }
                }
                return [Tensor(shape: shape, int64s: out)]
            }
            guard let count = Shape.count(shape) else { throw context.fail("the result \(shape) has more elements than an Int holds") }
            // int32 (tf2onnx's shape chains), float64, bool and string keep their type: the
            // parts end to end, then each output row takes its chunk of every part.
            if !first.isFloat, let joined = Tensor.Storage.joined(parts.map(\.storage)) {
                var starts: [Int] = [], start = 0
                for part in parts { starts.append(start); start += part.elementCount }
                var sources: [Int] = []
                sources.reserveCapacity(count)
                for o in 0..<outer {
                    for (part, partStart) in zip(parts, starts) {
                        let chunk = part.shape[axis...].reduce(1, *)
                        sources += (partStart + o * chunk)..<(partStart + (o + 1) * chunk)
                    }
                }
                return [Tensor(shape: shape, storage: joined.elements(at: sources))]
            }
            var out = context.outputFloats(count: count)
            let row = shape[axis...].reduce(1, *)
            var position = 0
            out.withUnsafeMutableBufferPointer { target in
                for part in parts {
                    let chunk = part.shape[axis...].reduce(1, *)
                    part.withFloatBuffer { source in
                        for o in 0..<outer {
                            let start = o * row + position
                            _ = UnsafeMutableBufferPointer(rebasing: target[start..<(start + chunk)]).update(fromContentsOf: source[(o * chunk)..<((o + 1) * chunk)])
                        }
                    }
                    position += chunk
                }
            }
            return [Tensor(shape: shape, floats: out)]
        }
        table["Unsqueeze"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let axes = try (context.opset >= 13 ? context.input(inputs, 1).int64s.map(Int.init) : context.ints("axes") ?? [])
            let rank = x.shape.count + axes.count
            var shape = x.shape
            let normalized = try axes.map { try Shape.axis($0, rank: rank, op: context.name) }.sorted()
            // A repeated axis would insert past the end of the shape.
            guard Set(normalized).count == normalized.count else { throw context.fail("axes \(axes) name an axis twice") }
            for axis in normalized { shape.insert(1, at: axis) }
            return [Tensor(shape: shape, storage: x.storage)]
        }
        table["Squeeze"] = { context, inputs in
            let x = try context.input(inputs, 0)
            let given = context.opset >= 13 ? (inputs.count > 1 ? inputs[1]?.int64s.map(Int.init) : nil) : context.ints("axes")
            let axes = try given.map { try $0.map { try Shape.axis($0, rank: x.shape.count, op: context.name) } } ?? x.shape.indices.filter { x.shape[$0] == 1 }
            for axis in axes where x.shape[axis] != 1 { throw context.fail("cannot squeeze axis \(axis) of \(x.shapeDescription)") }
            return [Tensor(shape: x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element), storage: x.storage)]
        }
    }

    static func cast(_ x: Tensor, to type: TensorDataType, _ context: NodeContext) throws -> Tensor {
        switch type {
        case .float32, .float16: return Tensor(shape: x.shape, floats: x.floats)
        case .float64:
            if case .double = x.storage { return x }
            return Tensor(shape: x.shape, storage: .double(x.floats.map(Double.init)))
        case .int64: return Tensor(shape: x.shape, int64s: x.int64s)
        case .int32: return Tensor(shape: x.shape, storage: .int32(x.int64s.map { Int32(truncatingIfNeeded: $0) }))
        case .bool: return Tensor(shape: x.shape, storage: .bool(x.floats.map { $0 != 0 }))
        case .uint8: return Tensor(shape: x.shape, storage: .uint8(x.int64s.map { UInt8(truncatingIfNeeded: $0) }))
        case .int8: return Tensor(shape: x.shape, storage: .int8(x.int64s.map { Int8(truncatingIfNeeded: $0) }))
        default: throw context.fail("cannot cast to \(type) yet")
        }
    }

    static func transpose(_ x: Tensor, _ permutation: [Int]) -> Tensor {
        let shape = permutation.map { x.shape[$0] }
        let inStrides = Shape.strides(x.shape)
        let strides = permutation.map { inStrides[$0] }
        // Every element type moves as it is (an int32 through Float would lose values past 2^24).
        return Tensor(shape: shape, storage: x.storage.elements(at: Shape.offsets(shape, strides: strides)))
    }
}
