import Foundation
import SwiftProtobuf
import WardenCore
import WardenTensor

/// Tensors in files, by extension: ONNX `TensorProto` `.pb` (with external data beside it),
/// and NumPy `.npy` otherwise (`NumPyFile`, which also writes them).
public enum TensorFile {
    /// Reads a `.npy` or `.pb` file (by extension; `.npy` otherwise).
    public static func read(_ path: String) throws -> Tensor {
        guard path.hasSuffix(".pb") else { return try NumPyFile.read(path) }
        let proto: Onnx_TensorProto
        do { proto = try Onnx_TensorProto(serializedBytes: NumPyFile.contents(of: path)) } catch let error as WardenError {
            throw error
        } catch {
            throw WardenError(.invalidArgument, "'\(path)' is not an ONNX TensorProto (.pb): \(error)", cause: error)
        }
        return try TensorDecoding.tensor(proto, resolver: ExternalDataResolver(directory: (path as NSString).deletingLastPathComponent))
    }
}
