import WardenCore
import WardenModel
import WardenTensor

extension WardenError.Code {
    /// A model's answer broke an output contract its card declares.
    public static let contractViolated = Self(rawValue: "contract_violated")
}

/// Rules a model card declares for its outputs, checked on every answer:
///
/// ```yaml
/// contracts:
///   probabilities:
///     range: [0, 1]          # every value within
///     finite: true           # no NaN or infinity
///     sums_to_one: 0.001     # each row over the last axis sums to 1 within this tolerance
///     on_violation: reject   # fail the request (default: flag, answer and count it)
///   label:
///     allowed: [0, 1, 2]     # every value one of these
/// ```
public struct OutputContracts: Sendable {
    public struct Rule: Sendable {
        public var output: String
        public var range: ClosedRange<Double>?
        public var finite = false
        public var sumsToOne: Double?
        public var allowed: Set<Double>?
        public var reject = false
    }

    public let rules: [Rule]

    public init() { rules = [] }

    /// - Throws: `.invalidCard` naming the contract key that is wrong, or an output the model does not have.
    public init(card: [String: CardValue]?, outputs: [String]) throws {
        var rules: [Rule] = []
        for (output, value) in (card ?? [:]).sorted(by: { $0.key < $1.key }) {
            func fail(_ key: String, _ why: String) -> WardenError {
                WardenError(.invalidCard, "\(ModelCard.fileName): contracts.\(output)\(key.isEmpty ? "" : ".\(key)"): \(why)")
            }
            guard outputs.contains(output) else { throw fail("", "the model has no output '\(output)'; its outputs are \(outputs.joined(separator: ", "))") }
            guard case .object(let settings) = value else { throw fail("", "must be a mapping of rules") }
            var rule = Rule(output: output)
            func number(_ value: CardValue) -> Double? {
                switch value {
                case .int(let number): Double(number)
                case .double(let number): number
                default: nil
                }
            }
            for (key, setting) in settings {
                switch key {
                case "range":
                    guard case .array(let bounds) = setting, bounds.count == 2, let low = number(bounds[0]), let high = number(bounds[1]), low <= high else {
                        throw fail(key, "must be [low, high] with low ≤ high")
                    }
                    rule.range = low...high
                case "finite":
                    guard case .bool(let flag) = setting else { throw fail(key, "must be true or false") }
                    rule.finite = flag
                case "sums_to_one":
                    guard let tolerance = number(setting), tolerance >= 0 else { throw fail(key, "must be a tolerance ≥ 0, such as 0.001") }
                    rule.sumsToOne = tolerance
                case "allowed":
                    guard case .array(let values) = setting, !values.isEmpty else { throw fail(key, "must be a list of allowed values") }
                    rule.allowed = Set(try values.map { value in
                        guard let allowed = number(value) else { throw fail(key, "must list numbers (labels as their class index)") }
                        return allowed
                    })
                case "on_violation":
                    guard case .string(let text) = setting, text == "reject" || text == "flag" else { throw fail(key, "must be reject or flag") }
                    rule.reject = text == "reject"
                default:
                    throw fail(key, "unknown rule; the rules are range, finite, sums_to_one, allowed, on_violation")
                }
            }
            rules.append(rule)
        }
        self.rules = rules
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// What an answer broke: each violated rule once, and whether any of them rejects the answer.
    public func check(_ outputs: [String: Tensor]) -> (violations: [String], reject: Bool) {
        var violations: [String] = []
        var reject = false
        for rule in rules {
            guard let tensor = outputs[rule.output] else { continue }
            let values: [Double] = switch tensor.storage {
            case .double(let v): v
            case .string: []
            default: tensor.floats.map(Double.init)
            }
            var broken: [String] = []
            if rule.finite, values.contains(where: { !$0.isFinite }) { broken.append("a value is not finite") }
            if let range = rule.range, let bad = values.first(where: { !range.contains($0) }) { broken.append("\(bad) is outside \(range.lowerBound)...\(range.upperBound)") }
            if let allowed = rule.allowed, let bad = values.first(where: { !allowed.contains($0) }) { broken.append("\(bad) is not an allowed value") }
            if let tolerance = rule.sumsToOne, let row = tensor.shape.last, row > 0 {
                for start in stride(from: 0, to: values.count, by: row) {
                    let sum = values[start..<min(values.count, start + row)].reduce(0, +)
                    if abs(sum - 1) > tolerance {
                        broken.append("a row sums to \(sum), not 1 within \(tolerance)")
                        break
                    }
                }
            }
            if !broken.isEmpty {
                violations.append("\(rule.output): \(broken.joined(separator: "; "))")
                if rule.reject { reject = true }
            }
        }
        return (violations, reject)
    }
}
