import WardenCore
import WardenTensor

/// Tensors as they cross into and out of a WASM module: the `WTS1` tensor set
/// of `docs/wasm-abi.md`. Per tensor a header of little-endian u32s (name
/// length, datatype code, rank, data length, dims), the name, then the data in
/// the binary tensor extension's layout, each padded to 4 bytes.
public enum TensorSet {
    /// The four bytes every set starts with.
    public static let magic: [UInt8] = Array("WTS1".utf8)

    /// The datatypes the ABI carries, by their ONNX `TensorProto.DataType` code.
    static let codes: [TensorDataType: UInt32] = [
        .float32: 1, .uint8: 2, .int8: 3, .uint16: 4, .int16: 5, .int32: 6, .int64: 7, .string: 8,
        .bool: 9, .float16: 10, .float64: 11, .uint32: 12, .uint64: 13,
    ]
    static let types = Dictionary(uniqueKeysWithValues: codes.map { ($0.value, $0.key) })

    /// One tensor in a set, with the datatype it is declared as (which may be narrower
    /// than the executor's storage: FP16 is computed as float32).
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dataType: TensorDataType
        public var tensor: Tensor

        public init(name: String, dataType: TensorDataType, tensor: Tensor) {
            self.name = name
            self.dataType = dataType
            self.tensor = tensor
        }
    }

    /// Encodes `entries` in order.
    /// - Throws: `.invalidArgument` for a datatype the ABI does not carry or a tensor beyond 4 GiB.
    public static func encode(_ entries: [Entry]) throws -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(64 + entries.reduce(0) { $0 + 32 + $1.name.utf8.count + TensorBytes.byteCount($1.tensor.storage, as: $1.dataType) })
        appendU32(UInt32(entries.count), to: &bytes)
        for entry in entries {
            guard let code = codes[entry.dataType] else {
                throw WardenError(.invalidArgument, "tensor '\(entry.name)' is \(entry.dataType), which the WASM ABI does not carry")
            }
            let name = Array(entry.name.utf8)
            let dataLength = TensorBytes.byteCount(entry.tensor.storage, as: entry.dataType)
            guard dataLength <= Int(UInt32.max), entry.tensor.shape.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) }) else {
                throw WardenError(.invalidArgument, "tensor '\(entry.name)' is too large to pass to a WASM module (4 GiB at most)")
            }
            appendU32(UInt32(name.count), to: &bytes)
            appendU32(code, to: &bytes)
            appendU32(UInt32(entry.tensor.shape.count), to: &bytes)
            appendU32(UInt32(dataLength), to: &bytes)
            for dim in entry.tensor.shape { appendU32(UInt32(dim), to: &bytes) }
            bytes.append(contentsOf: name)
            pad(&bytes)
            TensorBytes.encode(entry.tensor.storage, as: entry.dataType, into: &bytes)
            pad(&bytes)
        }
        return bytes
    }

    /// Decodes a set a module wrote.
    /// - Throws: `.invalidArgument` saying what is malformed and where.
    public static func decode(_ bytes: [UInt8]) throws -> [Entry] {
        func fail(_ why: String) -> WardenError { WardenError(.invalidArgument, "the tensor set is malformed: \(why)") }
        guard bytes.count >= 8, Array(bytes[0..<4]) == magic else {
            throw fail("it does not start with \"WTS1\" and a count")
        }
        var offset = 4
        func u32() throws -> Int {
            guard offset + 4 <= bytes.count else { throw fail("it ends at byte \(bytes.count) inside a header") }
            let value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
            offset += 4
            return Int(value)
        }
        let count = try u32()
        var entries: [Entry] = []
        for index in 0..<count {
            let nameLength = try u32()
            let code = try u32()
            let rank = try u32()
            let dataLength = try u32()
            guard rank <= 64 else { throw fail("tensor \(index) says rank \(rank); at most 64 dims are allowed") }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try u32()) }
            guard nameLength <= bytes.count - offset else { throw fail("tensor \(index)'s name runs past the end") }
            guard let name = String(validating: bytes[offset..<(offset + nameLength)], as: UTF8.self) else {
                throw fail("tensor \(index)'s name is not UTF-8")
            }
            offset += padded(nameLength)
            guard let type = types[UInt32(code)] else {
                throw fail("tensor '\(name)' has datatype code \(code), which the ABI does not define (see docs/wasm-abi.md)")
            }
            guard offset <= bytes.count, dataLength <= bytes.count - offset else {
                throw fail("tensor '\(name)' says \(dataLength) bytes of data, but the set ends first")
            }
            let (elements, overflow) = shape.reduce((1, false)) { partial, dim in
                let (product, o) = partial.0.multipliedReportingOverflow(by: dim)
                return (product, partial.1 || o)
            }
            guard !overflow else { throw fail("tensor '\(name)' has a shape whose size overflows") }
            let storage: Tensor.Storage
            do {
                storage = try TensorBytes.decode(bytes[offset..<(offset + dataLength)], type: type, count: elements)
            } catch let error as WardenError {
                throw fail("tensor '\(name)' (\(type), shape \(shape)): \(error.message)")
            }
            offset += padded(dataLength)
            entries.append(Entry(name: name, dataType: type, tensor: Tensor(shape: shape, storage: storage)))
        }
        return entries
    }

    private static func appendU32(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value & 0xff))
        bytes.append(UInt8(value >> 8 & 0xff))
        bytes.append(UInt8(value >> 16 & 0xff))
        bytes.append(UInt8(value >> 24))
    }

    private static func pad(_ bytes: inout [UInt8]) {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    private static func padded(_ length: Int) -> Int { (length + 3) & ~3 }
}
