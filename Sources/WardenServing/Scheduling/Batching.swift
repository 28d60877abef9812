import WardenCore
import WardenTensor

/// Joins requests along the first (batch) dim and splits the outputs back.
enum Batching {
    /// The batch size of a request: the first dim all its inputs share.
    static func batchSize(of inputs: [String: Tensor]) -> Int? {
        var size: Int?
        for tensor in inputs.values {
            guard let first = tensor.shape.first else { return nil }
            if let size, size != first { return nil }
            size = first
        }
        return size
    }

    /// What must agree for two requests to share a batch: every input's dtype and shape after the first dim.
    static func key(of inputs: [String: Tensor]) -> String {
        inputs.keys.sorted().map { name in
            let tensor = inputs[name]!
            return "\(name):\(tensor.dataType):\(tensor.shape.dropFirst().map(String.init).joined(separator: "x"))"
        }.joined(separator: ";")
    }

    /// Concatenates each input over the requests, in order.
    static func join(_ requests: [[String: Tensor]]) throws -> [String: Tensor] {
        guard let first = requests.first else { return [:] }
        if requests.count == 1 { return first }
        var joined: [String: Tensor] = [:]
        for (name, sample) in first {
            let parts = requests.map { $0[name]! }
            var shape = sample.shape
            shape[0] = parts.reduce(0) { $0 + $1.shape[0] }
            joined[name] = Tensor(shape: shape, storage: try concatenate(parts.map(\.storage), name: name))
        }
        return joined
    }

    /// Splits each output on its first dim into `sizes` parts.
    /// - Throws: `.invalidGraph` when an output does not carry the batch on its first dim.
    static func split(_ outputs: [String: Tensor], sizes: [Int]) throws -> [[String: Tensor]] {
        if sizes.count == 1 { return [outputs] }
        let total = sizes.reduce(0, +)
        var parts = Array(repeating: [String: Tensor](), count: sizes.count)
        for (name, tensor) in outputs {
            guard let first = tensor.shape.first, first == total else {
                throw WardenError(.invalidGraph, "output '\(name)' has shape \(tensor.shapeDescription), whose first dim is not the batch of \(total); set max_batch_size to 0 in the card's serving settings")
            }
            let row = tensor.shape.dropFirst().reduce(1, *)
            var start = 0
            for (index, size) in sizes.enumerated() {
                var shape = tensor.shape
                shape[0] = size
                parts[index][name] = Tensor(shape: shape, storage: slice(tensor.storage, (start * row)..<((start + size) * row)))
                start += size
            }
        }
        return parts
    }

    private static func concatenate(_ parts: [Tensor.Storage], name: String) throws -> Tensor.Storage {
        func gather<Element>(_ extract: (Tensor.Storage) -> [Element]?) throws -> [Element] {
            var values: [Element] = []
            for part in parts {
                guard let elements = extract(part) else {
                    throw WardenError(.invalidArgument, "input '\(name)' has different dtypes in one batch")
                }
                values.append(contentsOf: elements)
            }
            return values
        }
        switch parts[0] {
        case .float, .mappedFloat: return .float(try gather(\.float32Values))
        case .double: return .double(try gather { if case .double(let v) = $0 { v } else { nil } })
        case .int64: return .int64(try gather { if case .int64(let v) = $0 { v } else { nil } })
        case .int32: return .int32(try gather { if case .int32(let v) = $0 { v } else { nil } })
        case .int8: return .int8(try gather { if case .int8(let v) = $0 { v } else { nil } })
        case .uint8: return .uint8(try gather { if case .uint8(let v) = $0 { v } else { nil } })
        case .bool: return .bool(try gather { if case .bool(let v) = $0 { v } else { nil } })
        case .string: return .string(try gather { if case .string(let v) = $0 { v } else { nil } })
        }
    }

    private static func slice(_ storage: Tensor.Storage, _ range: Range<Int>) -> Tensor.Storage {
        switch storage {
        case .float(let v): .float(Array(v[range]))
        case .mappedFloat(let v): .float(v.withUnsafeBufferPointer { Array($0[range]) })
        case .double(let v): .double(Array(v[range]))
        case .int64(let v): .int64(Array(v[range]))
        case .int32(let v): .int32(Array(v[range]))
        case .int8(let v): .int8(Array(v[range]))
        case .uint8(let v): .uint8(Array(v[range]))
        case .bool(let v): .bool(Array(v[range]))
        case .string(let v): .string(Array(v[range]))
        }
    }
}
