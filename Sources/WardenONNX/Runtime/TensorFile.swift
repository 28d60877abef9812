import Foundation
import SwiftProtobuf
import WardenCore

/// Tensors in files: NumPy `.npy` (format 1.0–3.0, little-endian, C order)
/// and ONNX `TensorProto` `.pb`.
public enum TensorFile {
    /// Reads a `.npy` or `.pb` file (by extension; `.npy` otherwise).
    public static func read(_ path: String) throws -> Tensor {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WardenError(.unreadableFile, "cannot read '\(path)': \(error.localizedDescription)", cause: error)
        }
        if path.hasSuffix(".pb") {
            let proto: Onnx_TensorProto
            do { proto = try Onnx_TensorProto(serializedBytes: data) } catch {
                throw WardenError(.invalidArgument, "'\(path)' is not an ONNX TensorProto (.pb): \(error)", cause: error)
            }
            return try TensorDecoding.tensor(proto, resolver: ExternalDataResolver(directory: (path as NSString).deletingLastPathComponent))
        }
        return try readNumPy(data, name: path)
    }

    static func readNumPy(_ data: Data, name: String) throws -> Tensor {
        func fail(_ why: String) -> WardenError { WardenError(.invalidArgument, "'\(name)' is not a .npy file Warden reads: \(why)") }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else { throw fail("the magic string is missing") }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw fail("it is truncated") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard start + headerLength <= bytes.count else { throw fail("the header runs past the end") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        guard let descr = capture(header, #"'descr':\s*'([^']+)'"#) else { throw fail("the header has no descr") }
        if capture(header, #"'fortran_order':\s*(True)"#) != nil { throw fail("Fortran order is not supported; save with np.ascontiguousarray") }
        guard let shapeText = capture(header, #"'shape':\s*\(([^)]*)\)"#) else { throw fail("the header has no shape") }
        let shape = try shapeText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { text -> Int in
            guard let dim = Int(text), dim >= 0 else { throw fail("shape (\(shapeText)) is not a list of sizes") }
            return dim
        }
        let types: [String: TensorDataType] = ["<f4": .float32, "<f8": .float64, "<i8": .int64, "<i4": .int32, "|i1": .int8, "|u1": .uint8, "|b1": .bool, "<f2": .float16]
        guard let type = types[descr] else { throw fail("dtype '\(descr)' is not supported (use float32, float64, int64, int32, int8, uint8, bool or float16)") }
        guard let count = Shape.count(shape), let width = type.byteWidth else { throw fail("shape \(shape) is too large") }
        let body = data.subdata(in: (start + headerLength)..<data.count)
        guard body.count == count * width else { throw fail("it holds \(body.count) data bytes but shape \(shape) of \(type) needs \(count * width)") }
        return try TensorDecoding.tensor(type: type, shape: shape, littleEndian: body, name: name)
    }

    /// Writes `tensor` as a `.npy` (format 1.0).
    public static func writeNumPy(_ tensor: Tensor, to path: String) throws {
        let (descr, body): (String, Data) = switch tensor.storage {
        case .float(let values): ("<f4", values.withUnsafeBytes { Data($0) })
        case .mappedFloat(let values): ("<f4", values.withUnsafeBufferPointer { Data(buffer: $0) })
        case .double(let values): ("<f8", values.withUnsafeBytes { Data($0) })
        case .int64(let values): ("<i8", values.withUnsafeBytes { Data($0) })
        case .int32(let values): ("<i4", values.withUnsafeBytes { Data($0) })
        case .int8(let values): ("|i1", values.withUnsafeBytes { Data($0) })
        case .uint8(let values): ("|u1", values.withUnsafeBytes { Data($0) })
        case .bool(let values): ("|b1", Data(values.map { $0 ? 1 : 0 }))
        case .string: throw WardenError(.invalidArgument, "string tensors cannot be written as .npy")
        }
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(body)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WardenError(.ioFailure, "cannot write '\(path)': \(error.localizedDescription)", cause: error)
        }
    }

    private static func capture(_ text: String, _ pattern: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }
}
