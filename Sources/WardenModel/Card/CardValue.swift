import Foundation

/// A free-form value from a model card (`metadata`, `serving`): what YAML and
/// JSON can both say.
public enum CardValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([CardValue])
    case object([String: CardValue])

    /// The value as Foundation objects, for `JSONSerialization`.
    public var jsonObject: Any {
        switch self {
        case .null: NSNull()
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value.isFinite ? value as Any : String(describing: value) as Any
        case .string(let value): value
        case .array(let values): values.map(\.jsonObject)
        case .object(let values): values.mapValues(\.jsonObject)
        }
    }
}
