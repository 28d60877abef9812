import WardenONNX
import WardenRuntime
import WardenTensor

/// Models built in code for tests.
enum TestGraph {
    /// `graph` as a model importing the default domain at `opset`.
    static func model(_ graph: Onnx_GraphProto, opset: Int64 = 17, path: String) throws -> ONNXModel {
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        var version = Onnx_OperatorSetIdProto()
        version.version = opset
        proto.opsetImport = [version]
        proto.graph = graph
        return try ONNXModel(serialized: try proto.serializedData(), path: path)
    }

    /// A value of ONNX element type `type` (1 is float) whose dims are known sizes (Int) or named symbols (String); nil dims leave the shape out.
    static func value(_ name: String, _ dims: [Any]?, type: Int32 = 1) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType.elemType = type
        if let dims {
            info.type.tensorType.shape.dim = dims.map { dim in
                var proto = Onnx_TensorShapeProto.Dimension()
                if let size = dim as? Int { proto.dimValue = Int64(size) } else { proto.dimParam = "\(dim)" }
                return proto
            }
        }
        return info
    }
}

/// Attributes for nodes built in tests.
extension Onnx_AttributeProto {
    /// An INT attribute.
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .int
        attribute.i = Int64(value)
        return attribute
    }

    /// An INTS attribute.
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .ints
        attribute.ints = values.map(Int64.init)
        return attribute
    }

    /// A FLOATS attribute.
    static func floats(_ name: String, _ values: [Float]) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = .floats
        attribute.floats = values
        return attribute
    }
}
