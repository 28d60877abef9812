import Foundation
import HummingbirdTesting
import Testing
import WardenClient
import WardenCore
import WardenServer
import Synchronization

/// `Publisher`, the publish pipeline `warden push` uses, called from Swift against a live server.
@Suite("Publishing from Swift")
struct PublisherTests {
    @Test("Publisher signs, uploads only missing blobs, bumps automatically and refuses a folder it cannot read before uploading")
    func publishes() async throws {
        try await ServerHarness.run { harness, client in
            guard let port = client.port else {
                Issue.record("the live test client has no port")
                return
            }
            let keyPath = try harness.directory.write("ci.key", harness.key.pkcs8PEM)
            let publisher = Publisher(client: RegistryClient(server: "http://127.0.0.1:\(port)", token: harness.adminToken))
            let first = try harness.model("mlp-1layer.onnx", as: "one")
            let events = EventLog()
            let published = try await publisher.publish(.init(model: "iris", path: first, version: .exact(SemanticVersion(major: 1, minor: 0, patch: 0)), signing: .key(keyPath)), events: events.record)
            #expect(published.created && published.version.description == "1.0.0" && published.uploadedBlobs == 1)
            #expect(published.manifestDigest.hasPrefix("sha256:"))
            #expect(events.names == ["hashing", "uploading", "publishing"], "\(events.names)")

            // The next version, bumped as the change requires (a layer added: MINOR), with only its new blob uploaded.
            let second = try harness.model("mlp-2layer.onnx", as: "two")
            let bumped = try await publisher.publish(.init(model: "iris", path: second, version: .bump(.auto), signing: .key(keyPath)), events: events.record)
            #expect(bumped.version.description == "1.1.0" && bumped.requiredBump == "MINOR" && bumped.uploadedBlobs == 1)
            #expect(events.names.contains("change"))
            let again = try await publisher.publish(.init(model: "iris", path: second, version: .exact(bumped.version), signing: .key(keyPath)))
            #expect(!again.created && again.uploadedBlobs == 0)

            // A folder of safetensors is refused before any upload: the registry holds no new blob.
            let llm = try harness.directory.write("models/llm/model.safetensors", "not onnx")
            let folder = URL(fileURLWithPath: llm).deletingLastPathComponent().path
            await #expect(throws: WardenError.self) {
                try await publisher.publish(.init(model: "llm", path: folder, version: .exact(SemanticVersion(major: 1, minor: 0, patch: 0)), signing: .key(keyPath)))
            }
            let digest = WardenCore.Digest.sha256(Data("not onnx".utf8))
            #expect(try await !RegistryClient(server: "http://127.0.0.1:\(port)", token: harness.adminToken).hasBlob(digest))
        }
    }
}

/// Collects the names of a publish's events, from any thread.
final class EventLog: Sendable {
    private let events = Mutex<[String]>([])
    var names: [String] { events.withLock { $0 } }

    @Sendable func record(_ event: Publisher.Event) {
        let name = switch event {
        case .signature: "signature"
        case .hashing: "hashing"
        case .change: "change"
        case .uploading: "uploading"
        case .publishing: "publishing"
        }
        events.withLock { $0.append(name) }
    }
}
