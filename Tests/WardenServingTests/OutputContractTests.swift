import Testing
import WardenCore
import WardenModel
import WardenTensor
import WardenTestSupport
@testable import WardenServing

@Suite("Output contracts")
struct OutputContractTests {
    let outputs = ["label", "probabilities"]

    func served(_ contracts: [String: CardValue], in directory: TemporaryDirectory) throws -> ServedVersion {
        let real = try ServingFixtures.load("1", in: directory)
        return ServedVersion(
            model: "iris", version: "1", manifestDigest: real.manifestDigest, signers: real.signers, runtime: real.runtime,
            settings: real.settings, card: nil, checkout: nil, metrics: ServingMetrics(),
            contracts: try OutputContracts(card: contracts, outputs: outputs)
        )
    }

    @Test("answers that keep the contract pass untouched")
    func kept() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let version = try served([
            "probabilities": .object(["range": .array([.int(0), .int(1)]), "finite": .bool(true), "sums_to_one": .double(0.001)]),
            "label": .object(["allowed": .array([.int(0), .int(1), .int(2)])]),
        ], in: directory)
        _ = try await version.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(4)]))
        #expect(version.statistics.snapshot.contractViolations == 0)
    }

    @Test("a flagged violation answers and is counted; a rejected one fails the request naming the rule")
    func flaggedAndRejected() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        // Confident rows have a probability above 0.5, which this range forbids.
        let tight: [String: CardValue] = ["range": .array([.int(0), .double(0.5)])]
        let flagged = try served(["probabilities": .object(tight)], in: directory)
        _ = try await flagged.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(4)]))
        #expect(flagged.statistics.snapshot.contractViolations == 1)
        #expect(flagged.statistics.snapshot.success.count == 1)

        let rejecting = try served(["probabilities": .object(tight.merging(["on_violation": .string("reject")]) { a, _ in a })], in: directory)
        await expectAsyncWardenError(.contractViolated, containing: "probabilities:") {
            _ = try await rejecting.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(4)]))
        }
        #expect(rejecting.statistics.snapshot.fail.count == 1)
    }

    @Test("contracts that make no sense are card errors naming the key")
    func badContracts() {
        expectWardenError(.invalidCard, containing: "contracts.scores: the model has no output 'scores'") {
            _ = try OutputContracts(card: ["scores": .object([:])], outputs: outputs)
        }
        expectWardenError(.invalidCard, containing: "contracts.probabilities.range: must be [low, high]") {
            _ = try OutputContracts(card: ["probabilities": .object(["range": .array([.int(1)])])], outputs: outputs)
        }
        expectWardenError(.invalidCard, containing: "contracts.probabilities.monotone: unknown rule") {
            _ = try OutputContracts(card: ["probabilities": .object(["monotone": .bool(true)])], outputs: outputs)
        }
        expectWardenError(.invalidCard, containing: "on_violation: must be reject or flag") {
            _ = try OutputContracts(card: ["label": .object(["on_violation": .string("panic")])], outputs: outputs)
        }
    }

    @Test("the card reads contracts from YAML")
    func yaml() throws {
        let card = try ModelCard(yaml: "name: iris\ncontracts:\n  probabilities:\n    sums_to_one: 0.001\n    on_violation: reject\n", source: "warden.yaml")
        let contracts = try OutputContracts(card: card.contracts, outputs: outputs)
        #expect(contracts.rules.first?.reject == true)
        #expect(contracts.rules.first?.sumsToOne == 0.001)
    }
}
