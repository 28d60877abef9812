import Foundation
import Testing
import WardenCore
import WardenIntegrity
@testable import WardenRegistry  // checks the stores behind the registry's door

/// The publish flow on real stores: a real metadata database (SQLite or PostgreSQL), a real
/// blob folder, real skl2onnx models, real signatures.
final class PublishFixture: Sendable {
    let metadata: MetadataFixture
    var directory: TemporaryDirectory { metadata.directory }
    let registry: Registry
    let key = SigningKey.generate(.ed25519)

    init(_ kind: StoreKind, requireSignature: Bool = true) async throws {
        metadata = try await MetadataFixture(kind)
        let directory = metadata.directory
        let blobs = try FileSystemBlobStore(root: directory.file("blobs"))
        let metadata = self.metadata.store
        try FileManager.default.createDirectory(atPath: directory.file("tmp"), withIntermediateDirectories: true)
        registry = Registry(
            metadata: metadata, blobs: blobs,
            configuration: RegistryConfiguration(requireSignature: requireSignature, trust: try TrustPolicy(keys: [key.publicKey]), scratchDirectory: directory.file("tmp"))
        )
    }

    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WardenModelTests/Fixtures/sklearn/\(name)").path
    }

    /// Stores the fixture's blobs and returns a signed publish request for it.
    func request(_ fixture: String, model: String = "iris", version: String, card: String? = nil) async throws -> Registry.PublishRequest {
        let folder = directory.file("models/\(UUID().uuidString)")
        try directory.copy(from: Self.fixture(fixture), to: "models/\((folder as NSString).lastPathComponent)/model.onnx")
        if let card { try directory.write("models/\((folder as NSString).lastPathComponent)/warden.yaml", card) }
        let manifest = try ModelHasher().manifest(of: folder)
        var files: [FileEntry] = []
        for resource in manifest.resources {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(resource.path)))
            _ = try await BlobStoreHarness.put(registry.blobs, Array(bytes), expected: resource.digest)
            files.append(FileEntry(path: resource.path, digest: resource.digest, size: Int64(bytes.count)))
        }
        let bundle = try Signer(key: key).sign(manifest, modelName: model).json()
        return Registry.PublishRequest(model: model, version: try SemanticVersion(parsing: version), files: files, bundle: bundle)
    }
}

@Suite(.metadataCleanup) struct RegistryPublishTests {
    @Test(arguments: StoreKind.available)
    func aPublishRecordsSignersTheBumpAndLineage(_ kind: StoreKind) async throws {
        let fixture = try await PublishFixture(kind)
        _ = try await fixture.registry.publish(try await fixture.request("logreg-a.onnx", version: "1.0.0"), actor: "ci")
        let card = "lineage:\n  parent: iris@1.0.0\n  dataset: sha256:\(String(repeating: "ab", count: 32))\n  code_revision: 3f2a9c1\n"
        let result = try await fixture.registry.publish(try await fixture.request("logreg-b.onnx", version: "1.0.1", card: card), actor: "ci")
        #expect(result.created)
        #expect(result.version.signers == [fixture.key.keyID])
        #expect(result.version.requiredBump == .patch && result.version.baseline == v("1.0.0"))
        #expect(result.version.lineage.parentName == "iris" && result.version.lineage.codeRevision == "3f2a9c1")
        let children = try await fixture.registry.metadata.children(of: "iris", v("1.0.0"))
        #expect(children.map(\.version.description) == ["1.0.1"])
        #expect(result.version.descriptionJSON.contains("\"topology_fingerprint\""))
    }

    @Test(arguments: StoreKind.available)
    func racingPublishesOfOneVersionWithDifferentContentLeaveExactlyOneWinner(_ kind: StoreKind) async throws {
        let fixture = try await PublishFixture(kind)
        var requests: [Registry.PublishRequest] = []
        for name in ["logreg-a.onnx", "logreg-b.onnx", "mlp-1layer.onnx", "mlp-2layer.onnx"] { requests.append(try await fixture.request(name, version: "1.0.0")) }
        let outcomes = await withTaskGroup(of: String.self) { group in
            for request in requests {
                group.addTask {
                    do {
                        return try await fixture.registry.publish(request, actor: "ci").created ? "created" : "same"
                    } catch let error as WardenError {
                        return error.code.rawValue
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "created" }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == "conflict" }.count == 3, "\(outcomes)")
        #expect(try await fixture.registry.metadata.versions(of: "iris").count == 1)
    }

    @Test(arguments: StoreKind.available)
    func racingPublishesAreEachJudgedByTheSemverRule(_ kind: StoreKind) async throws {
        let fixture = try await PublishFixture(kind)
        _ = try await fixture.registry.publish(try await fixture.request("mlp-1layer.onnx", version: "1.0.0"), actor: "ci")
        // A layer added: 1.0.1 must fail whatever lands first; 1.1.0 and retrained 1.0.2..1.0.6 must pass.
        var requests = [try await fixture.request("mlp-2layer.onnx", version: "1.0.1"), try await fixture.request("mlp-2layer.onnx", version: "1.1.0")]
        for patch in 2...6 { requests.append(try await fixture.request("mlp-1layer.onnx", version: "1.0.\(patch)")) }
        let outcomes = await withTaskGroup(of: (String, String).self) { group in
            for request in requests {
                group.addTask {
                    do {
                        _ = try await fixture.registry.publish(request, actor: "ci")
                        return (request.version.description, "created")
                    } catch let error as WardenError {
                        return (request.version.description, error.code.rawValue)
                    } catch {
                        return (request.version.description, "\(error)")
                    }
                }
            }
            return await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes["1.0.1"] == "semver_violation")
        #expect(outcomes.filter { $0.key != "1.0.1" }.allSatisfy { $0.value == "created" }, "\(outcomes)")
        let events = try await fixture.registry.metadata.events(after: 0, limit: 100)
        #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
        #expect(events.filter { $0.kind == .versionCreated }.count == 7)
    }

    @Test(arguments: StoreKind.available)
    func refusalsNameWhatIsWrong(_ kind: StoreKind) async throws {
        let fixture = try await PublishFixture(kind)
        var unsigned = try await fixture.request("logreg-a.onnx", version: "1.0.0")
        unsigned.bundle = nil
        await expectAsyncWardenError(.signatureRequired, containing: "is not signed and this registry requires signatures") { _ = try await fixture.registry.publish(unsigned, actor: "ci") }

        var missing = try await fixture.request("logreg-a.onnx", version: "1.0.0")
        missing.files.append(FileEntry(path: "extra.bin", digest: Digest.sha256([1, 2, 3]), size: 3))
        await expectAsyncWardenError(.notFound, containing: "are not uploaded") { _ = try await fixture.registry.publish(missing, actor: "ci") }

        var signature = try await fixture.request("logreg-a.onnx", version: "1.0.0")
        signature.files[0] = FileEntry(path: "model.sig", digest: signature.files[0].digest, size: signature.files[0].size)
        await expectAsyncWardenError(.invalidArgument, containing: "is a signature; send it as the version's bundle") { _ = try await fixture.registry.publish(signature, actor: "ci") }

        // Bytes that are not ONNX are refused with the inspector's error.
        let open = try await PublishFixture(kind, requireSignature: false)
        let bytes = Array("not onnx".utf8)
        let digest = try await BlobStoreHarness.put(open.registry.blobs, bytes)
        let broken = Registry.PublishRequest(model: "iris", version: v("1.0.0"), files: [FileEntry(path: "model.onnx", digest: digest, size: Int64(bytes.count))], bundle: nil)
        await expectAsyncWardenError(.invalidModel, containing: "is not an ONNX model") { _ = try await open.registry.publish(broken, actor: "ci") }
    }
}
