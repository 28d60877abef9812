import Foundation
import WardenCore

/// NumPy `.npy` files (format 1.0–3.0 read, 1.0 written; little-endian, C order): how
/// `warden predict` takes inputs and writes outputs, and how test fixtures hold tensors.
public enum NumPyFile {
    /// Reads a `.npy` file.
    /// - Throws: `.unreadableFile`, or `.invalidArgument` saying what is wrong with it.
    public static func read(_ path: String) throws -> Tensor {
        try read(contents(of: path), name: path)
    }

    /// A tensor file's bytes.
    /// - Throws: `.unreadableFile` naming the file.
    package static func contents(of path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WardenError(.unreadableFile, "cannot read '\(path)': \(error.localizedDescription)", cause: error)
        }
    }

    /// Reads the bytes of a `.npy` file; `name` is what errors call it.
    public static func read(_ data: Data, name: String) throws -> Tensor {
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
        let (count, overflow) = shape.reduce((1, false)) { partial, dim in
            let (product, o) = partial.0.multipliedReportingOverflow(by: dim)
            return (product, partial.1 || o)
        }
        guard !overflow, let width = type.byteWidth, count.multipliedReportingOverflow(by: width).overflow == false else {
            throw fail("shape \(shape) is too large")
        }
        let body = bytes[(start + headerLength)...]
        guard body.count == count * width else { throw fail("it holds \(body.count) data bytes but shape \(shape) of \(type) needs \(count * width)") }
        let storage = try TensorBytes.decode(body, type: type, count: count)
        return Tensor(shape: shape, storage: storage)
    }

    /// Writes `tensor` as a `.npy` (format 1.0).
    public static func write(_ tensor: Tensor, to path: String) throws {
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
