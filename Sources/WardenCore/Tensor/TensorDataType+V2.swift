extension TensorDataType {
    /// The Open Inference Protocol's (KServe V2, Triton) datatype names.
    static let v2Names: [(TensorDataType, String)] = [
        (.bool, "BOOL"), (.uint8, "UINT8"), (.uint16, "UINT16"), (.uint32, "UINT32"), (.uint64, "UINT64"),
        (.int8, "INT8"), (.int16, "INT16"), (.int32, "INT32"), (.int64, "INT64"),
        (.float16, "FP16"), (.bfloat16, "BF16"), (.float32, "FP32"), (.float64, "FP64"), (.string, "BYTES"),
    ]

    /// The type's name in the Open Inference Protocol: `FP32`, `INT64`, `BYTES`, ….
    public var v2Name: String { Self.v2Names.first { $0.0 == self }?.1 ?? rawValue.uppercased() }

    /// Reads an Open Inference Protocol datatype name; nil for an unknown one.
    public init?(v2Name: String) {
        guard let type = Self.v2Names.first(where: { $0.1 == v2Name })?.0 else { return nil }
        self = type
    }
}
