import Foundation
import WardenCore

/// Tensors as raw little-endian bytes, the layout of Triton's binary tensor data
/// extension: fixed-width elements back to back, BOOL one byte each, BYTES
/// elements each a 4-byte little-endian length and then the bytes.
public enum TensorBytes {
    /// - Throws: `.invalidArgument` when the bytes do not hold `count` elements of `type`,
    ///   or `type` is one the executor has no storage for.
    public static func decode(_ bytes: ArraySlice<UInt8>, type: TensorDataType, count: Int) throws -> Tensor.Storage {
        func fail(_ why: String) -> WardenError { WardenError(.invalidArgument, why) }
        if type == .string {
            var strings: [String] = []
            // Each element takes at least its 4-byte length: the bytes bound the count, not the claimed shape.
            strings.reserveCapacity(min(count, bytes.count / 4))
            var index = bytes.startIndex
            while index < bytes.endIndex {
                guard bytes.endIndex - index >= 4 else { throw fail("a BYTES element's 4-byte length is cut off") }
                let length = Int(UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24)
                index += 4
                guard bytes.endIndex - index >= length else { throw fail("a BYTES element says \(length) bytes, but fewer are left") }
                // Warden holds BYTES elements as text; replacing bad bytes would change the data silently.
                guard let text = String(validating: bytes[index..<(index + length)], as: UTF8.self) else {
                    throw fail("BYTES element \(strings.count) is not UTF-8 text; Warden carries BYTES as text, so send binary data (an image file) as a UINT8 tensor")
                }
                strings.append(text)
                index += length
            }
            guard strings.count == count else { throw fail("holds \(strings.count) BYTES elements, but the shape needs \(count)") }
            return .string(strings)
        }
        guard let width = type.byteWidth else { throw fail("\(type.rawValue) has no binary layout") }
        let (needed, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, bytes.count == needed else {
            throw fail("binary_data_size is \(bytes.count) bytes, but \(count) \(type.rawValue) elements take \(overflow ? "more than \(Int.max)" : "\(needed)")")
        }
        func load<T>(_: T.Type) -> [T] {
            Array(unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                }
                initialized = count
            }
        }
        switch type {
        case .float32: return .float(load(Float.self))
        case .float64: return .double(load(Double.self))
        case .int64: return .int64(load(Int64.self))
        case .int32: return .int32(load(Int32.self))
        case .int8: return .int8(load(Int8.self))
        case .uint8: return .uint8(load(UInt8.self))
        case .bool: return .bool(bytes.map { $0 != 0 })
        // Types the executor computes wider (see Tensor.storageType(for:)).
        case .float16: return .float(load(UInt16.self).map { Float(Float16(bitPattern: $0)) })
        case .int16: return .int32(load(Int16.self).map(Int32.init))
        case .uint16: return .int32(load(UInt16.self).map(Int32.init))
        case .uint32: return .int64(load(UInt32.self).map(Int64.init))
        case .uint64:
            let values = load(UInt64.self)
            guard let large = values.first(where: { $0 > UInt64(Int64.max) }) else { return .int64(values.map(Int64.init)) }
            throw fail("UINT64 value \(large) is beyond what the executor computes with (at most \(Int64.max))")
        default:
            throw fail("\(type.rawValue) tensors are not supported by Warden's executor; send the datatype the model's input has")
        }
    }

    /// Encodes `storage` as `declared` says the value is: a widened float16 or int16 output
    /// is narrowed back, so a client reads the type the model declares.
    public static func encode(_ storage: Tensor.Storage, as declared: TensorDataType, into buffer: inout [UInt8]) {
        func append<T>(_ values: [T]) { values.withUnsafeBytes { buffer.append(contentsOf: $0) } }
        switch (declared, storage) {
        case (.float16, .float(let v)): append(v.map { Float16($0).bitPattern })
        case (.int16, .int32(let v)): append(v.map { Int16(truncatingIfNeeded: $0) })
        case (.uint16, .int32(let v)): append(v.map { UInt16(truncatingIfNeeded: $0) })
        case (.uint32, .int64(let v)): append(v.map { UInt32(truncatingIfNeeded: $0) })
        case (.uint64, .int64(let v)): append(v.map { UInt64(bitPattern: $0) })
        default: encode(storage, into: &buffer)
        }
    }

    /// The bytes `encode(_:as:into:)` writes.
    public static func byteCount(_ storage: Tensor.Storage, as declared: TensorDataType) -> Int {
        switch (declared, storage) {
        case (.float16, .float(let v)): v.count * 2
        case (.int16, .int32(let v)), (.uint16, .int32(let v)): v.count * 2
        case (.uint32, .int64(let v)): v.count * 4
        default: byteCount(storage)
        }
    }

    public static func encode(_ storage: Tensor.Storage, into buffer: inout [UInt8]) {
        func append<T>(_ values: [T]) {
            values.withUnsafeBytes { buffer.append(contentsOf: $0) }
        }
        switch storage {
        case .float(let v): append(v)
        case .mappedFloat(let v): v.withUnsafeBufferPointer { buffer.append(contentsOf: UnsafeRawBufferPointer($0)) }
        case .double(let v): append(v)
        case .int64(let v): append(v)
        case .int32(let v): append(v)
        case .int8(let v): append(v)
        case .uint8(let v): append(v)
        case .bool(let v): buffer.append(contentsOf: v.map { $0 ? 1 : 0 })
        case .string(let v):
            for text in v {
                let utf8 = Array(text.utf8)
                let length = UInt32(utf8.count)
                buffer.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 24)])
                buffer.append(contentsOf: utf8)
            }
        }
    }

    public static func byteCount(_ storage: Tensor.Storage) -> Int {
        switch storage {
        case .float(let v): v.count * 4
        case .mappedFloat(let v): v.count * 4
        case .double(let v): v.count * 8
        case .int64(let v): v.count * 8
        case .int32(let v): v.count * 4
        case .int8(let v): v.count
        case .uint8(let v): v.count
        case .bool(let v): v.count
        case .string(let v): v.reduce(0) { $0 + 4 + $1.utf8.count }
        }
    }
}
