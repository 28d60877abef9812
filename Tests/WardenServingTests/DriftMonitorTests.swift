import Testing
import WardenCore
import WardenModel
import WardenTensor
import WardenTestSupport
@testable import WardenServing

@Suite("Input drift (PSI)")
struct DriftMonitorTests {
    /// Feature 0 of `input`: four bins, a quarter each, split at 1, 2 and 3.
    let card: [String: CardValue] = [
        "input": .array([.object(["edges": .array([.int(1), .int(2), .int(3)]), "fractions": .array([.double(0.25), .double(0.25), .double(0.25), .double(0.25)])])]),
    ]

    func rows(_ values: [Float]) -> [String: Tensor] {
        ["input": Tensor(shape: [values.count, 4], floats: values.flatMap { [$0, 0, 0, 0] })]
    }

    @Test("traffic like the reference has a PSI near 0; shifted traffic a large one; reset starts a new window")
    func psi() throws {
        let monitor = try #require(try DriftMonitor.make(card: card, inputs: ["input"]))
        monitor.observe(rows((0..<400).map { Float($0 % 4) + 0.5 }))
        let calm = monitor.snapshot(reset: true)
        #expect(calm.observations == 400)
        #expect((calm.psi["input[0]"] ?? 1) < 0.01)
        monitor.observe(rows(Array(repeating: 3.5, count: 400)))
        let drifted = monitor.snapshot()
        #expect((drifted.psi["input[0]"] ?? 0) > 1)
    }

    @Test("reference histograms that make no sense are card errors naming the key")
    func badReferences() throws {
        expectWardenError(.invalidCard, containing: "drift.pixels: the model has no input 'pixels'") {
            _ = try DriftMonitor.make(card: ["pixels": card["input"]!], inputs: ["input"])
        }
        expectWardenError(.invalidCard, containing: "drift.input[0].fractions: needs 3 values for 2 edges") {
            _ = try DriftMonitor.make(card: ["input": .array([.object(["edges": .array([.int(1), .int(2)]), "fractions": .array([.double(1)])])])], inputs: ["input"])
        }
        expectWardenError(.invalidCard, containing: "edges: must increase") {
            _ = try DriftMonitor.make(card: ["input": .array([.object(["edges": .array([.int(2), .int(1)]), "fractions": .array([.double(0.5), .double(0.25), .double(0.25)])])])], inputs: ["input"])
        }
        // No card, no references: no monitor, and no error either.
        #expect(try DriftMonitor.make(card: nil, inputs: ["input"]) == nil)
    }

    @Test("the card reads drift references from YAML")
    func yaml() throws {
        let card = try ModelCard(yaml: "name: iris\ndrift:\n  input:\n    - edges: [5.0]\n      fractions: [0.4, 0.6]\n", source: "warden.yaml")
        let monitor = try #require(try DriftMonitor.make(card: card.drift, inputs: ["input"]))
        #expect(monitor.features.count == 1)
    }
}
