import WardenONNX

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
}
