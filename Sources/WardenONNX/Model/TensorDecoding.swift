import Foundation
import WardenCore
import WardenTensor

/// ONNX `TensorProto`s (initializers, Constant values, `.pb` inputs) as `Tensor`s.
package enum TensorDecoding {
    /// - Parameter inPlace: leave float32 external data in its mapped file (`Tensor.Storage.mappedFloat`)
    ///   instead of copying it, when its offset allows.
    package static func tensor(_ proto: Onnx_TensorProto, resolver: ExternalDataResolver, inPlace: Bool = false) throws -> Tensor {
        try TensorValues.validate(proto, resolver: resolver)
        let shape = proto.dims.map(Int.init)
        guard let type = TensorDataType(onnx: proto.dataType) else {
            throw WardenError(.invalidModel, "tensor '\(proto.name)' has element type \(proto.dataType), which ONNX does not define")
        }
        if inPlace, type == .float32, proto.dataLocation == .external, let mapped = try resolver.mappedFloats(of: proto), mapped.count > 0 {
            return Tensor(shape: shape, storage: .mappedFloat(mapped))
        }
        if type == .string {
            return Tensor(shape: shape, storage: .string(proto.stringData.map { String(decoding: $0, as: UTF8.self) }))
        }
        let bytes: Data
        if proto.dataLocation == .external {
            bytes = try resolver.bytes(of: proto)
        } else if !proto.rawData.isEmpty {
            bytes = proto.rawData
        } else {
            bytes = Data(TensorValues.typedBytes(proto))
        }
        return try tensor(type: type, shape: shape, littleEndian: bytes, name: proto.name)
    }

    /// Values from little-endian bytes of `type`.
    package static func tensor(type: TensorDataType, shape: [Int], littleEndian bytes: Data, name: String) throws -> Tensor {
        func load<T>(_: T.Type) -> [T] {
            bytes.withUnsafeBytes { raw in
                (0..<(raw.count / MemoryLayout<T>.size)).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
            }
        }
        switch type {
        case .float32: return Tensor(shape: shape, storage: .float(load(Float.self)))
        case .float64: return Tensor(shape: shape, storage: .double(load(Double.self)))
        case .int64: return Tensor(shape: shape, storage: .int64(load(Int64.self)))
        case .int32: return Tensor(shape: shape, storage: .int32(load(Int32.self)))
        case .int8: return Tensor(shape: shape, storage: .int8(load(Int8.self)))
        case .uint8: return Tensor(shape: shape, storage: .uint8(load(UInt8.self)))
        case .bool: return Tensor(shape: shape, storage: .bool(load(UInt8.self).map { $0 != 0 }))
        case .float16:
            return Tensor(shape: shape, storage: .float(load(UInt16.self).map { Float(ElementDecoding.halfToDouble($0)) }))
        default:
            throw WardenError(.unsupportedOperator, "tensor '\(name)' is \(type), which the Swift executor does not compute with yet")
        }
    }
}
