import Foundation
import Synchronization
import WardenCore
import WardenModel
import WardenTensor

/// Input drift: the population stability index (PSI) of each input feature
/// served, against the reference histogram the model card declares:
///
/// ```yaml
/// drift:
///   input:                      # an input name; features are positions on its last axis
///     - edges: [4.8, 5.4, 6.1]  # bin edges: (-inf, 4.8), [4.8, 5.4), [5.4, 6.1), [6.1, inf)
///       fractions: [0.2, 0.3, 0.3, 0.2]
///     - edges: [3.0]
///       fractions: [0.5, 0.5]
/// ```
///
/// PSI = Σ (observed − expected) · ln(observed / expected) over the bins, with
/// empty bins smoothed; below 0.1 is usually read as stable, above 0.25 as drift.
public final class DriftMonitor: Sendable {
    struct Feature: Sendable {
        let input: String
        let index: Int
        let edges: [Double]
        let expected: [Double]
    }

    let features: [Feature]
    private let counts: Mutex<[[Int]]>

    /// - Returns: nil when the card declares no reference histograms.
    /// - Throws: `.invalidCard` naming the key that is wrong.
    public static func make(card: [String: CardValue]?, inputs: [String]) throws -> DriftMonitor? {
        guard let card, !card.isEmpty else { return nil }
        var features: [Feature] = []
        for (input, value) in card.sorted(by: { $0.key < $1.key }) {
            func fail(_ key: String, _ why: String) -> WardenError {
                WardenError(.invalidCard, "\(ModelCard.fileName): drift.\(input)\(key): \(why)")
            }
            guard inputs.contains(input) else { throw fail("", "the model has no input '\(input)'; its inputs are \(inputs.joined(separator: ", "))") }
            guard case .array(let list) = value, !list.isEmpty else { throw fail("", "must be a list of histograms, one per feature") }
            for (index, entry) in list.enumerated() {
                func numbers(_ key: String) throws -> [Double] {
                    guard case .object(let fields) = entry, case .array(let values)? = fields[key] else { throw fail("[\(index)].\(key)", "is missing or not a list of numbers") }
                    return try values.map { value in
                        switch value {
                        case .int(let number): return Double(number)
                        case .double(let number): return number
                        default: throw fail("[\(index)].\(key)", "must hold numbers")
                        }
                    }
                }
                let edges = try numbers("edges")
                let fractions = try numbers("fractions")
                guard zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("[\(index)].edges", "must increase") }
                guard fractions.count == edges.count + 1 else {
                    throw fail("[\(index)].fractions", "needs \(edges.count + 1) values for \(edges.count) edges (one per bin, the outer bins open-ended)")
                }
                guard fractions.allSatisfy({ $0 >= 0 }), abs(fractions.reduce(0, +) - 1) < 0.01 else {
                    throw fail("[\(index)].fractions", "must be non-negative and sum to 1")
                }
                features.append(Feature(input: input, index: index, edges: edges, expected: fractions))
            }
        }
        return DriftMonitor(features: features)
    }

    init(features: [Feature]) {
        self.features = features
        counts = Mutex(features.map { Array(repeating: 0, count: $0.edges.count + 1) })
    }

    /// Counts each row's features into their bins.
    func observe(_ inputs: [String: Tensor]) {
        var local = features.map { Array(repeating: 0, count: $0.edges.count + 1) }
        for (position, feature) in features.enumerated() {
            guard let tensor = inputs[feature.input], let width = tensor.shape.last, width > feature.index else { continue }
            let values = tensor.floats
            for row in stride(from: feature.index, to: values.count, by: width) {
                let value = Double(values[row])
                var bin = feature.edges.count
                for (edge, limit) in feature.edges.enumerated() where value < limit {
                    bin = edge
                    break
                }
                local[position][bin] += 1
            }
        }
        counts.withLock { counts in
            for position in counts.indices {
                for bin in counts[position].indices { counts[position][bin] += local[position][bin] }
            }
        }
    }

    /// PSI per feature (`input[index]`) over what was observed since the last reset; observations counted.
    public func snapshot(reset: Bool = false) -> (psi: [String: Double], observations: Int) {
        let current = counts.withLock { counts -> [[Int]] in
            let copy = counts
            if reset { counts = features.map { Array(repeating: 0, count: $0.edges.count + 1) } }
            return copy
        }
        var psi: [String: Double] = [:]
        var observations = 0
        for (feature, bins) in zip(features, current) {
            let total = bins.reduce(0, +)
            observations = max(observations, total)
            guard total > 0 else { continue }
            var value = 0.0
            for (count, expected) in zip(bins, feature.expected) {
                let observed = max(Double(count) / Double(total), 1e-4)
                let reference = max(expected, 1e-4)
                value += (observed - reference) * log(observed / reference)
            }
            psi["\(feature.input)[\(feature.index)]"] = value
        }
        return (psi, observations)
    }
}
