import Foundation
import WardenTensor

/// Moving elements without changing their type, for ops whose output type is the
/// input's (Slice, Concat): an int32 taken through Float loses every value past
/// 2^24 and comes out as float32, where the graph declares int32 (tf2onnx casts
/// Shape outputs to int32 before slicing and concatenating them).
extension Tensor.Storage {
    /// The elements at `indices` (row-major positions), in this storage's type.
    func elements(at indices: [Int]) -> Tensor.Storage { LayoutKernels.pick(self, indices, fill: nil) }

    /// `storages` end to end, or nil when they do not all have the first one's
    /// type (float32 in a mapped file counts as float32).
    static func joined(_ storages: [Tensor.Storage]) -> Tensor.Storage? {
        func join<T>(_ values: (Tensor.Storage) -> [T]?) -> [T]? {
            var out: [T] = []
            for storage in storages {
                guard let part = values(storage) else { return nil }
                out += part
            }
            return out
        }
        switch storages.first {
        case .float, .mappedFloat:
            return join(\.float32Values).map(Tensor.Storage.float)
        case .double: return join { storage -> [Double]? in if case .double(let values) = storage { values } else { nil } }.map(Tensor.Storage.double)
        case .int64: return join { storage -> [Int64]? in if case .int64(let values) = storage { values } else { nil } }.map(Tensor.Storage.int64)
        case .int32: return join { storage -> [Int32]? in if case .int32(let values) = storage { values } else { nil } }.map(Tensor.Storage.int32)
        case .int8: return join { storage -> [Int8]? in if case .int8(let values) = storage { values } else { nil } }.map(Tensor.Storage.int8)
        case .uint8: return join { storage -> [UInt8]? in if case .uint8(let values) = storage { values } else { nil } }.map(Tensor.Storage.uint8)
        case .bool: return join { storage -> [Bool]? in if case .bool(let values) = storage { values } else { nil } }.map(Tensor.Storage.bool)
        case .string: return join { storage -> [String]? in if case .string(let values) = storage { values } else { nil } }.map(Tensor.Storage.string)
        case nil: return nil
        }
    }
}
