import Foundation
import WardenCore

/// A tensor's values as little-endian bytes in ONNX's raw layout, whichever
/// field they are stored in, so the same values always give the same bytes.
package enum TensorValues {
    /// Declared element count, or nil when a dimension is negative.
    package static func elementCount(_ tensor: Onnx_TensorProto) -> Int64? {
        var count: Int64 = 1
        for dim in tensor.dims {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The number of value bytes the tensor will stream.
    package static func byteCount(_ tensor: Onnx_TensorProto, resolver: ExternalDataResolver) throws -> Int {
        if tensor.dataLocation == .external { return try resolver.resolve(tensor).length }
        if !tensor.rawData.isEmpty { return tensor.rawData.count }
        return typedBytes(tensor).count
    }

    /// Checks that the stored values fit the declared type and shape.
    /// - Throws: when the stored size does not fit the declared shape, or external data is refused.
    package static func validate(_ tensor: Onnx_TensorProto, resolver: ExternalDataResolver) throws {
        guard let type = TensorDataType(onnx: tensor.dataType) else {
            throw WardenError(.invalidModel, "initializer '\(tensor.name)' has element type \(tensor.dataType), which ONNX does not define")
        }
        guard let count = elementCount(tensor) else {
            throw WardenError(.invalidModel, "initializer '\(tensor.name)' has an invalid shape \(tensor.dims)")
        }
        if type == .string {
            guard tensor.dataLocation != .external, tensor.rawData.isEmpty else {
                throw WardenError(.invalidModel, "initializer '\(tensor.name)' holds strings outside string_data; the model is corrupt")
            }
            guard tensor.stringData.count == count else {
                throw WardenError(.invalidModel, "initializer '\(tensor.name)' stores \(tensor.stringData.count) strings but its shape \(tensor.dims) needs \(count); the model is corrupt")
            }
            return
        }
        let stored = try byteCount(tensor, resolver: resolver)
        if type.byteWidth == nil {
            // 4-bit types: two elements per byte, the last byte padded.
            let needed = count / 2 + count % 2
            guard stored == needed else {
                throw WardenError(.invalidModel, "initializer '\(tensor.name)' stores \(stored) bytes but its shape \(tensor.dims) of \(type) needs \(needed); the model is corrupt")
            }
        }
        if let width = type.byteWidth {
            let (needed, overflow) = Int(count).multipliedReportingOverflow(by: width)
            guard !overflow, stored == needed else {
                throw WardenError(
                    .invalidModel,
                    "initializer '\(tensor.name)' stores \(stored) bytes but its shape \(tensor.dims) of \(type) needs \(overflow ? "more than Int.max" : String(needed)); the model is corrupt"
                )
            }
        }
    }

    /// Feeds the tensor's value bytes to `body`; external data is streamed, never held whole.
    /// - Throws: when the stored size does not fit the declared shape, or external data is refused.
    package static func forEachChunk(_ tensor: Onnx_TensorProto, resolver: ExternalDataResolver, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        try validate(tensor, resolver: resolver)
        if tensor.dataLocation == .external {
            try resolver.forEachChunk(of: tensor, body)
        } else if !tensor.rawData.isEmpty {
            tensor.rawData.withUnsafeBytes(body)
        } else {
            typedBytes(tensor).withUnsafeBytes(body)
        }
    }

    /// Values from the typed repeated fields, laid out as raw_data would hold them.
    package static func typedBytes(_ tensor: Onnx_TensorProto) -> [UInt8] {
        var out: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
        }
        switch TensorDataType(onnx: tensor.dataType) {
        case .float32?, .complex64?:
            for value in tensor.floatData { append(value.bitPattern) }
        case .float64?, .complex128?:
            for value in tensor.doubleData { append(value.bitPattern) }
        case .int64?:
            for value in tensor.int64Data { append(value) }
        case .uint64?:
            for value in tensor.uint64Data { append(value) }
        case .uint32?:
            for value in tensor.uint64Data { append(UInt32(truncatingIfNeeded: value)) }
        case .int32?:
            for value in tensor.int32Data { append(value) }
        case .int16?, .uint16?, .float16?, .bfloat16?:
            for value in tensor.int32Data { append(UInt16(truncatingIfNeeded: value)) }
        case .string?:
            for value in tensor.stringData {
                append(Int64(value.count))
                out.append(contentsOf: value)
            }
        default:
            // 8-bit and packed 4-bit types keep one byte per int32_data entry.
            for value in tensor.int32Data { out.append(UInt8(truncatingIfNeeded: value)) }
        }
        return out
    }
}
