import Foundation
import Testing
import WardenCore
import WardenIntegrity
import WardenONNX
import WardenTestSupport
@testable import WardenServing

@Suite("The verification gate")
struct VersionLoaderTests {
    @Test("a version signed by model_signing with a trusted key loads, warms up and answers")
    func loadsSigned() async throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let served = try ServingFixtures.load("1", in: directory)
        #expect(served.signers.count == 1)
        #expect(served.batches)
        #expect(served.settings.maxBatchSize == 32)
        let outputs = try await served.infer(InferenceRequest(inputs: ["input": ServingFixtures.rows(3)]))
        #expect(outputs["probabilities"]?.shape == [3, 3])
        #expect(outputs["label"]?.shape == [3])
    }

    @Test("an unsigned version is refused and its checkout removed")
    func refusesUnsigned() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let checkout = try ServingFixtures.checkout("1", in: directory)
        try FileManager.default.removeItem(atPath: checkout + "/model.sig")
        let failure = try #require(throws: VersionLoader.Failure.self) {
            try ServingFixtures.loader().load(model: "iris", version: "1", checkout: checkout)
        }
        #expect(failure.stage == .refused)
        #expect(failure.error.code == .signatureRequired)
        #expect(!FileManager.default.fileExists(atPath: checkout))
    }

    @Test("a tampered file is refused: the bytes no longer match the signature")
    func refusesTampered() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let checkout = try ServingFixtures.checkout("1", in: directory)
        try Data("name: iris\ndescription: edited after signing\n".utf8).write(to: URL(fileURLWithPath: checkout + "/warden.yaml"))
        let failure = try #require(throws: VersionLoader.Failure.self) {
            try ServingFixtures.loader().load(model: "iris", version: "1", checkout: checkout)
        }
        #expect(failure.stage == .refused)
        #expect(failure.error.code == .modelModified)
        #expect(failure.description.contains("warden.yaml"))
    }

    @Test("a signature by a key the server does not trust is refused")
    func refusesUntrusted() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let other = try TrustPolicy(keys: [SigningKey.generate(.ecdsaP256).publicKey])
        let failure = try #require(throws: VersionLoader.Failure.self) {
            try ServingFixtures.loader(trust: other).load(model: "iris", version: "1", checkout: ServingFixtures.checkout("1", in: directory))
        }
        #expect(failure.error.code == .untrustedSignature)
    }

    @Test("the registry's recorded digest must match too")
    func refusesOtherDigest() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let other = try Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))
        let failure = try #require(throws: VersionLoader.Failure.self) {
            try ServingFixtures.loader().load(model: "iris", version: "1", checkout: ServingFixtures.checkout("1", in: directory), expectedDigest: other)
        }
        #expect(failure.error.code == .modelModified)
    }

    @Test("a verified model with external data serves with its weights read in place from the checkout's data file")
    func servesExternalDataInPlace() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let key = SigningKey.generate(.ecdsaP256)
        let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let model = tests.appendingPathComponent("WardenModelTests/Fixtures/sklearn/mlp-2layer-external").path
        let expected = tests.appendingPathComponent("WardenONNXTests/Fixtures/runtime/sklearn-mlp-2layer-external").path
        let checkout = directory.file("checkout")
        try FileManager.default.copyItem(atPath: model, toPath: checkout)
        try Data(Signer(key: key).sign(ModelHasher().manifest(of: checkout), modelName: "iris").json()).write(to: URL(fileURLWithPath: checkout + "/model.sig"))
        let served = try ServingFixtures.loader(trust: TrustPolicy(keys: [key.publicKey])).load(model: "iris", version: "1", checkout: checkout)
        let executor = try #require((served.runtime as? ONNXModelRuntime)?.executor)
        #expect(executor.weightMemory.mappedNames == ["coefficient", "coefficient1", "coefficient2"])
        // The mapping outlives the file's name: removing the checkout's data file does not take the weights away.
        try FileManager.default.removeItem(atPath: checkout + "/weights.bin")
        let input = try TensorFile.read(expected + "/input.npy")
        let probabilities = try #require(try served.runtime.infer([executor.signature.inputs[0].name: input])["probabilities"])
        let reference = try TensorFile.read(expected + "/probabilities.npy")
        #expect(zip(probabilities.floats, reference.floats).allSatisfy { abs($0 - $1) <= 1e-6 + 1e-3 * abs($1) })
    }

    @Test("a verified model that will not parse, or whose serving settings are wrong, fails to load with the reason")
    func failsAfterVerification() throws {
        let directory = try TemporaryDirectory("serving")
        defer { directory.remove() }
        let key = SigningKey.generate(.ecdsaP256)
        let trust = try TrustPolicy(keys: [key.publicKey])

        let garbage = directory.file("garbage")
        try directory.write("garbage/model.onnx", Array("not a protobuf".utf8))
        try Data(Signer(key: key).sign(ModelHasher().manifest(of: garbage), modelName: "garbage").json()).write(to: URL(fileURLWithPath: garbage + "/model.sig"))
        let parse = try #require(throws: VersionLoader.Failure.self) {
            try ServingFixtures.loader(trust: trust).load(model: "garbage", version: "1", checkout: garbage)
        }
        #expect(parse.stage == .failed)

        let settings = try ServingFixtures.checkout("1", in: directory)
        try Data("name: iris\nserving:\n  max_batch_size: -3\n".utf8).write(to: URL(fileURLWithPath: settings + "/warden.yaml"))
        try FileManager.default.removeItem(atPath: settings + "/model.sig")
        try Data(Signer(key: key).sign(ModelHasher().manifest(of: settings), modelName: "iris").json()).write(to: URL(fileURLWithPath: settings + "/model.sig"))
        let card = try #require(throws: VersionLoader.Failure.self) {
            try ServingFixtures.loader(trust: trust).load(model: "iris", version: "1", checkout: settings)
        }
        #expect(card.stage == .failed)
        #expect(card.error.code == .invalidCard)
        #expect(card.error.message.contains("serving.max_batch_size"))
    }

    @Test("serving settings: Triton's keys, with errors naming the key")
    func settings() throws {
        let parsed = try ServingSettings(card: [
            "max_batch_size": .int(16), "preferred_batch_sizes": .array([.int(8), .int(4)]),
            "max_queue_delay_microseconds": .int(100), "max_queue_size": .int(10), "instances": .int(2),
        ])
        #expect(parsed.preferredBatchSizes == [4, 8])
        #expect(parsed.instances == 2)
        #expect(parsed.intraOpThreads == nil)
        #expect(try ServingSettings(card: ["intra_op_threads": .int(1)]).intraOpThreads == 1)
        expectWardenError(.invalidCard, containing: "serving.intra_op_threads: must be a whole number ≥ 1") {
            _ = try ServingSettings(card: ["intra_op_threads": .int(0)])
        }
        expectWardenError(.invalidCard, containing: "serving.max_batch_sise: unknown setting") {
            _ = try ServingSettings(card: ["max_batch_sise": .int(4)])
        }
        expectWardenError(.invalidCard, containing: "larger than max_batch_size") {
            _ = try ServingSettings(card: ["max_batch_size": .int(4), "preferred_batch_sizes": .array([.int(8)])])
        }
        expectWardenError(.invalidCard, containing: "serving.instances: must be a whole number ≥ 1") {
            _ = try ServingSettings(card: ["instances": .int(0)])
        }
    }
}
