import WardenCore

/// What `warden inspect` reports about a model, and what the semver rule compares.
public struct ModelInspection: Sendable, Equatable {
    public struct OpsetImport: Sendable, Hashable {
        /// `ai.onnx` for the default domain.
        public let domain: String
        public let version: Int64
    }

    /// One trained tensor: its name, type and shape (not its values).
    public struct Parameter: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            /// A graph initializer.
            case initializer
            /// A sparse initializer: `shape` is its dense shape, of which only some elements are stored.
            case sparseInitializer = "sparse_initializer"
            /// Trained values in a node attribute (`ai.onnx.ml` ops); named `<node>.<attribute>`, shape `[count]`.
            case attribute
        }

        public let name: String
        public let dataType: TensorDataType
        public let shape: [Int64]
        public let kind: Kind
        public var elementCount: Int64 { shape.reduce(1, &*) }
    }

    public let format: String
    public let irVersion: Int64
    public let producer: String
    public let opsets: [OpsetImport]
    public let signature: IOSignature
    /// Node count per op type (`ai.onnx.ml.TreeEnsembleClassifier` for other domains).
    public let opCounts: [String: Int]
    /// Initializers in canonical order (as the graph first uses them, then unused ones in file
    /// order), then sparse initializers in the same way, then trained attributes of `ai.onnx.ml`
    /// nodes in node order.
    public let parameters: [Parameter]
    /// Digest of the graph's structure: op types, attributes, wiring, input
    /// and output types, initializer shapes and dtypes; not names nor trained values.
    public let topologyFingerprint: Digest
    /// Digest of every initializer's values, in canonical order, independent
    /// of how they are stored (raw, typed fields or external data).
    public let weightsDigest: Digest

    public var parameterCount: Int64 { parameters.reduce(0) { $0 &+ $1.elementCount } }

    /// Bytes the parameters take at their declared types (4-bit types count half a byte).
    public var parameterBytes: Int64 {
        parameters.reduce(0) { total, parameter in
            if let width = parameter.dataType.byteWidth { return total &+ parameter.elementCount &* Int64(width) }
            return total &+ (parameter.dataType == .string ? 0 : parameter.elementCount / 2 + parameter.elementCount % 2)
        }
    }
}
