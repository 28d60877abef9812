/// Element types of tensors, named as in ONNX and the Open Inference Protocol.
public enum TensorDataType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case float32, float64, float16, bfloat16
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case bool, string
    case complex64, complex128
    case float8e4m3fn, float8e4m3fnuz, float8e5m2, float8e5m2fnuz
    case uint4, int4, float4e2m1

    public var description: String { rawValue }

    /// Bytes per element; nil for strings and the sub-byte 4-bit types.
    public var byteWidth: Int? {
        switch self {
        case .bool, .int8, .uint8, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64, .complex64: 8
        case .complex128: 16
        case .string, .uint4, .int4, .float4e2m1: nil
        }
    }

    /// Accepts the canonical names and the common aliases people write in model cards
    /// (`float`, `double`, `half`, `int`, `long`, `FP32`, `INT64`, …).
    public init?(name: String) {
        let key = name.lowercased()
        let aliases: [String: TensorDataType] = [
            "float": .float32, "fp32": .float32, "double": .float64, "fp64": .float64,
            "half": .float16, "fp16": .float16, "bf16": .bfloat16, "int": .int32, "long": .int64,
            "boolean": .bool, "bytes": .string, "str": .string,
        ]
        guard let type = TensorDataType(rawValue: key) ?? aliases[key] else { return nil }
        self = type
    }
}

/// One dimension of a tensor shape.
public enum TensorDimension: Sendable, Hashable, CustomStringConvertible {
    /// A known size.
    case fixed(Int64)
    /// A dynamic size with a name (`batch`, `sequence`).
    case symbolic(String)
    /// A dynamic size with no name.
    case unknown

    public var description: String {
        switch self {
        case .fixed(let size): String(size)
        case .symbolic(let name): name
        case .unknown: "?"
        }
    }

    public var isDynamic: Bool {
        if case .fixed = self { return false }
        return true
    }
}

/// A tensor's name, element type and shape, as a model declares it.
/// `shape` is nil when the rank itself is unknown.
public struct TensorSpec: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let dataType: TensorDataType
    public let shape: [TensorDimension]?

    public init(name: String, dataType: TensorDataType, shape: [TensorDimension]?) {
        self.name = name
        self.dataType = dataType
        self.shape = shape
    }

    /// `[batch, 3]`, or `[*]` when the rank is unknown.
    public var shapeDescription: String {
        guard let shape else { return "[*]" }
        return "[" + shape.map(\.description).joined(separator: ", ") + "]"
    }

    public var description: String { "\(name) \(dataType) \(shapeDescription)" }
}

/// What a model takes and returns.
public struct IOSignature: Sendable, Hashable {
    public let inputs: [TensorSpec]
    public let outputs: [TensorSpec]

    public init(inputs: [TensorSpec], outputs: [TensorSpec]) {
        self.inputs = inputs
        self.outputs = outputs
    }
}
