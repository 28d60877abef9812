import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// Damaged model files must be refused with a `WardenError`: never another error type, never a crash.
@Suite struct FuzzTests {
    static let mutantsPerModel = 300

    /// The codes loading and inspecting may use; anything else is a mistake in the error mapping.
    static let expectedCodes: Set<WardenError.Code> = [.invalidModel, .invalidGraph, .externalDataRefused, .unreadableFile]

    /// One way to damage a file.
    enum Mutation: CaseIterable, CustomStringConvertible {
        case flipBytes, setInterestingBytes, truncate, insertRun, deleteRun, duplicateChunk, overwriteChunk

        var description: String { "\(self)" }

        func apply(to bytes: inout [UInt8], using random: inout SplitMix64) {
            let count = bytes.count
            switch self {
            case .flipBytes:
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
            case .setInterestingBytes:
                // Values that turn varints, lengths and wire types into edge cases.
                let interesting: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x08, 0x0A, 0x12, 0x3A]
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<count, using: &random)] = interesting.randomElement(using: &random)!
                }
            case .truncate:
                bytes.removeLast(Int.random(in: 1...count, using: &random))
            case .insertRun:
                let run = (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes.insert(contentsOf: run, at: Int.random(in: 0...count, using: &random))
            case .deleteRun:
                let start = Int.random(in: 0..<count, using: &random)
                bytes.removeSubrange(start..<min(count, start + Int.random(in: 1...16, using: &random)))
            case .duplicateChunk:
                let start = Int.random(in: 0..<count, using: &random)
                let chunk = bytes[start..<min(count, start + Int.random(in: 1...64, using: &random))]
                bytes.insert(contentsOf: chunk, at: Int.random(in: 0...count, using: &random))
            case .overwriteChunk:
                // A run of the file copied over another place: plausible fields in the wrong spot.
                let from = Int.random(in: 0..<count, using: &random)
                let chunk = Array(bytes[from..<min(count, from + Int.random(in: 1...32, using: &random))])
                let to = Int.random(in: 0..<count, using: &random)
                for (offset, byte) in chunk.enumerated() where to + offset < count { bytes[to + offset] = byte }
            }
        }
    }

    struct Tally {
        var accepted = 0
        var refused: [WardenError.Code: Int] = [:]
        var unchanged = 0
    }

    @Test(arguments: Fixture.singleFileModels + ["mlp-external/model"])
    func mutantsAreAcceptedOrRefusedWithAWardenError(name: String) throws {
        let original = try Fixture.bytes(name)
        // The fixture's own path, so external data resolves against the committed weights.bin.
        let path = Fixture.model(name)
        var random = SplitMix64(seed: 0x5EED_0000 &+ UInt64(original.count))
        var tally = Tally()

        for index in 0..<Self.mutantsPerModel {
            var mutant = original
            let mutations = (0..<Int.random(in: 1...3, using: &random)).map { _ in Mutation.allCases.randomElement(using: &random)! }
            for mutation in mutations where !mutant.isEmpty {
                mutation.apply(to: &mutant, using: &random)
            }
            if mutant == original { tally.unchanged += 1 }

            do {
                let model = try ONNXModel(serialized: Data(mutant), path: path)
                let inspection = try ONNXInspector().inspect(model)
                // What a report prints must be computable too.
                _ = inspection.parameterCount
                _ = inspection.parameterBytes
                _ = inspection.signature.inputs.map(\.description)
                tally.accepted += 1
            } catch let error as WardenError {
                tally.refused[error.code, default: 0] += 1
                #expect(Self.expectedCodes.contains(error.code), "mutant \(index) of \(name) (\(mutations)): unexpected code \(error.code): \(error.message)")
                #expect(!error.message.isEmpty, "mutant \(index) of \(name) (\(mutations))")
            } catch {
                Issue.record("mutant \(index) of \(name) (\(mutations)) threw \(type(of: error)), not WardenError: \(error)")
            }
        }

        // The mutator must really damage files, and most damage must be caught.
        #expect(tally.unchanged < Self.mutantsPerModel / 20)
        let refused = tally.refused.values.reduce(0, +)
        #expect(refused > Self.mutantsPerModel / 2, "\(tally)")
        #expect(tally.refused[.invalidModel, default: 0] > 0, "\(tally)")
    }

    /// Mutations of the parsed model rather than its bytes reach the graph checks and the
    /// external-data resolver, which byte damage mostly stops short of.
    @Test func structuralMutantsAreAcceptedOrRefusedWithAWardenError() throws {
        let models = try ["mlp-v1", "mlp-input-double", "mlp-external/model"].map { ($0, try Fixture.proto($0)) }
        var random = SplitMix64(seed: 42)
        var tally = Tally()
        let names = ["input", "h1", "a1", "logits", "probabilities", "fc1.weight", "fc2.bias", "", "ghost"]

        for index in 0..<Self.mutantsPerModel {
            let (name, original) = models.randomElement(using: &random)!
            var proto = original
            let choice = Int.random(in: 0..<8, using: &random)
            let nodes = proto.graph.node.count
            let initializers = proto.graph.initializer.count
            switch choice {
            case 0:
                let node = Int.random(in: 0..<nodes, using: &random)
                if !proto.graph.node[node].input.isEmpty {
                    let slot = Int.random(in: 0..<proto.graph.node[node].input.count, using: &random)
                    proto.graph.node[node].input[slot] = names.randomElement(using: &random)!
                }
            case 1:
                let node = Int.random(in: 0..<nodes, using: &random)
                proto.graph.node[node].output = [names.randomElement(using: &random)!]
            case 2:
                proto.graph.node.shuffle(using: &random)
            case 3:
                let tensor = Int.random(in: 0..<initializers, using: &random)
                proto.graph.initializer[tensor].dims = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    [Int64(-1), 0, 1, 3, 8, 16, 1 << 20].randomElement(using: &random)!
                }
            case 4:
                let tensor = Int.random(in: 0..<initializers, using: &random)
                proto.graph.initializer[tensor].dataType = Int32.random(in: 0...25, using: &random)
            case 5:
                proto.graph.initializer.remove(at: Int.random(in: 0..<initializers, using: &random))
            case 6:
                let tensor = Int.random(in: 0..<initializers, using: &random)
                let key = ["location", "offset", "length"].randomElement(using: &random)!
                let value = ["weights.bin", "../weights.bin", "", "0", "12", "524", "525", "-1", "x", "/weights.bin"].randomElement(using: &random)!
                proto.graph.initializer[tensor].setExternal(key, value)
            default:
                proto.graph.node.remove(at: Int.random(in: 0..<nodes, using: &random))
            }

            do {
                let inspection = try proto.inspected(at: Fixture.model(name))
                _ = inspection.parameterCount
                _ = inspection.parameterBytes
                tally.accepted += 1
            } catch let error as WardenError {
                tally.refused[error.code, default: 0] += 1
                #expect(Self.expectedCodes.contains(error.code), "mutant \(index) of \(name): unexpected code \(error.code): \(error.message)")
            } catch {
                Issue.record("mutant \(index) of \(name) threw \(type(of: error)), not WardenError: \(error)")
            }
        }
        #expect(tally.accepted > 0, "\(tally)")
        #expect(tally.refused[.invalidGraph, default: 0] > 0, "\(tally)")
        #expect(tally.refused[.invalidModel, default: 0] > 0, "\(tally)")
        #expect(tally.refused[.externalDataRefused, default: 0] > 0, "\(tally)")
    }
}
