import WardenCore

extension TensorDataType {
    /// The type of ONNX `TensorProto.DataType` code `code`, or nil for UNDEFINED and unknown codes.
    public init?(onnx code: Int32) {
        let table: [Int32: TensorDataType] = [
            1: .float32, 2: .uint8, 3: .int8, 4: .uint16, 5: .int16, 6: .int32, 7: .int64, 8: .string, 9: .bool,
            10: .float16, 11: .float64, 12: .uint32, 13: .uint64, 14: .complex64, 15: .complex128, 16: .bfloat16,
            17: .float8e4m3fn, 18: .float8e4m3fnuz, 19: .float8e5m2, 20: .float8e5m2fnuz, 21: .uint4, 22: .int4, 23: .float4e2m1,
        ]
        guard let type = table[code] else { return nil }
        self = type
    }
}

extension TensorSpec {
    /// The spec of a graph input or output, or nil when it is not a tensor (a sequence, map or optional).
    package init?(_ value: Onnx_ValueInfoProto) throws {
        guard value.type.value != nil, case .tensorType(let tensor)? = value.type.value else { return nil }
        guard let type = TensorDataType(onnx: tensor.elemType) else {
            throw WardenError(.invalidModel, "graph value '\(value.name)' has element type \(tensor.elemType), which ONNX does not define")
        }
        let shape: [TensorDimension]? =
            tensor.hasShape
            ? tensor.shape.dim.map { dim in
                switch dim.value {
                case .dimValue(let size)?: .fixed(size)
                case .dimParam(let name)? where !name.isEmpty: .symbolic(name)
                default: .unknown
                }
            }
            : nil
        self.init(name: value.name, dataType: type, shape: shape)
    }
}
