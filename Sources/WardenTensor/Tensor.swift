import Foundation
import WardenCore

/// A dense tensor in row-major order: an element type, a shape and the values.
///
/// The value every part of Warden passes around: requests and responses, the executor's
/// inputs and outputs, the WASM sandbox's tensor sets. Values live in a Swift array of the
/// element type, so kernels work on typed buffers without casts; float32 weights stored
/// as external data may instead stay in their memory-mapped file (`mappedFloat`).
public struct Tensor: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float([Float])
        case double([Double])
        case int64([Int64])
        case int32([Int32])
        case int8([Int8])
        case uint8([UInt8])
        case bool([Bool])
        case string([String])
        /// float32 values in place in a memory-mapped external-data file. Only the executor
        /// makes these, for weights that only kernels able to read them in place consume.
        case mappedFloat(MappedFloats)

        /// The values when they are float32 (a mapped tensor's copied to the heap), else nil.
        public var float32Values: [Float]? {
            switch self {
            case .float(let values): values
            case .mappedFloat(let mapped): mapped.values
            default: nil
            }
        }
    }

    public var shape: [Int]
    public var storage: Storage

    public init(shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], floats: [Float]) { self.init(shape: shape, storage: .float(floats)) }
    public init(shape: [Int], int64s: [Int64]) { self.init(shape: shape, storage: .int64(int64s)) }

    public var elementCount: Int { shape.reduce(1, *) }

    public var dataType: TensorDataType {
        switch storage {
        case .float, .mappedFloat: .float32
        case .double: .float64
        case .int64: .int64
        case .int32: .int32
        case .int8: .int8
        case .uint8: .uint8
        case .bool: .bool
        case .string: .string
        }
    }

    /// The values as Float (converting), for kernels that compute in float.
    public var floats: [Float] {
        switch storage {
        case .float(let values): values
        case .mappedFloat(let mapped): mapped.values
        case .double(let values): values.map(Float.init)
        case .int64(let values): values.map(Float.init)
        case .int32(let values): values.map(Float.init)
        case .int8(let values): values.map(Float.init)
        case .uint8(let values): values.map(Float.init)
        case .bool(let values): values.map { $0 ? 1 : 0 }
        case .string: []
        }
    }

    /// The values as float32 in place when they are float32 (on the heap or mapped), else converted.
    public func withFloatBuffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case .float(let values): try values.withUnsafeBufferPointer(body)
        case .mappedFloat(let mapped): try mapped.withUnsafeBufferPointer(body)
        default: try floats.withUnsafeBufferPointer(body)
        }
    }

    /// Whether the values are float32, on the heap or mapped.
    public var isFloat: Bool { dataType == .float32 }

    /// The values as Int64 (truncating floats toward zero, as Cast does).
    public var int64s: [Int64] {
        switch storage {
        case .float(let values): values.map { Tensor.int64(saturating: Double($0)) }
        case .mappedFloat(let mapped): mapped.values.map { Tensor.int64(saturating: Double($0)) }
        case .double(let values): values.map(Tensor.int64(saturating:))
        case .int64(let values): values
        case .int32(let values): values.map(Int64.init)
        case .int8(let values): values.map(Int64.init)
        case .uint8(let values): values.map(Int64.init)
        case .bool(let values): values.map { $0 ? 1 : 0 }
        case .string: []
        }
    }

    /// A float truncated toward zero as Cast does, with what no Int64 can hold saturated
    /// (±2^63 and beyond) and NaN as 0, so no value in a request can trap the conversion.
    package static func int64(saturating value: Double) -> Int64 {
        guard !value.isNaN else { return 0 }
        if value >= 9_223_372_036_854_775_808.0 { return .max }
        if value <= -9_223_372_036_854_775_808.0 { return .min }
        return Int64(value)
    }

    public var shapeDescription: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

extension Tensor {
    /// The element type the executor computes a declared type in: float16 and bfloat16
    /// values are widened to float32, int16 and uint16 to int32, uint32 and uint64 to int64.
    /// A tensor of that type is accepted where the declared type is expected.
    public static func storageType(for declared: TensorDataType) -> TensorDataType {
        switch declared {
        case .float16, .bfloat16: .float32
        case .int16, .uint16: .int32
        case .uint32, .uint64: .int64
        default: declared
        }
    }

    /// Whether this tensor can stand for a value declared as `type`.
    public func fits(_ type: TensorDataType) -> Bool {
        dataType == type || dataType == Self.storageType(for: type)
    }
}
