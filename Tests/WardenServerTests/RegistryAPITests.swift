import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WardenCore
import WardenServer

@Suite struct RegistryAPITests {
    @Test func probesTheSpecAndTheFirstAdminToken() async throws {
        try await ServerHarness.run { harness, client in
            #expect(try await client.send(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.send(uri: "/readyz", method: .get).status == .ok)
            let spec = try await client.send(uri: "/openapi.yaml", method: .get)
            #expect(spec.status == .ok && String(buffer: spec.body).hasPrefix("openapi: 3.1"))
            let attributes = try FileManager.default.attributesOfItem(atPath: harness.directory.file("data/admin.token"))
            #expect(attributes[.posixPermissions] as? Int == 0o600)
            #expect(harness.adminToken.hasPrefix("wdn_"))
            let missing = try await client.send(uri: "/api/v1/nope", method: .get, headers: harness.headers(harness.adminToken))
            #expect(missing.status == .notFound && harness.errorCode(missing) == "not_found")
        }
    }

    @Test func tokensAndRoles() async throws {
        try await ServerHarness.run { harness, client in
            let anonymous = try await client.send(uri: "/api/v1/models", method: .get)
            #expect(anonymous.status == .unauthorized && harness.errorCode(anonymous) == "unauthenticated")
            let wrong = try await client.send(uri: "/api/v1/models", method: .get, headers: harness.headers("wdn_nope"))
            #expect(wrong.status == .unauthorized)
            let malformed = try await client.send(uri: "/api/v1/models", method: .get, headers: [.authorization: "Basic abc"])
            #expect(malformed.status == .unauthorized)

            let reader = try await harness.createToken(role: "reader", client: client)
            #expect(try await client.send(uri: "/api/v1/models", method: .get, headers: harness.headers(reader.secret)).status == .ok)
            let create = try await client.send(uri: "/api/v1/models", method: .post, headers: harness.headers(reader.secret), body: ByteBuffer(string: #"{"name": "fraud"}"#))
            #expect(create.status == .forbidden)
            #expect(String(buffer: create.body).contains("has role reader, but this needs publisher"))

            let revoke = try await client.send(uri: "/api/v1/tokens/\(reader.id)", method: .delete, headers: harness.headers(harness.adminToken))
            #expect(revoke.status == .ok)
            let revoked = try await client.send(uri: "/api/v1/models", method: .get, headers: harness.headers(reader.secret))
            #expect(revoked.status == .unauthorized && String(buffer: revoked.body).contains("was revoked"))

            let badRole = try await client.send(uri: "/api/v1/tokens", method: .post, headers: harness.headers(harness.adminToken), body: ByteBuffer(string: #"{"role": "god"}"#))
            #expect(badRole.status == .badRequest && String(buffer: badRole.body).contains("role must be one of reader, publisher, deployer, admin"))
        }
    }

    @Test func anonymousReadWhenAllowed() async throws {
        try await ServerHarness.run({ $0.allowAnonymousRead = true }) { harness, client in
            #expect(try await client.send(uri: "/api/v1/models", method: .get).status == .ok)
            let write = try await client.send(uri: "/api/v1/models", method: .post, body: ByteBuffer(string: #"{"name": "x"}"#))
            #expect(write.status == .unauthorized)
        }
    }

    @Test func blobsAreCheckedOnTheWayIn() async throws {
        try await ServerHarness.run({ $0.maximumBlobSize = 1000 }) { harness, client in
            let bytes = Array("hello warden".utf8)
            let digest = Digest.sha256(bytes)
            let auth = harness.headers(harness.adminToken)
            #expect(try await client.send(uri: "/api/v1/blobs/\(digest)", method: .head, headers: auth).status == .notFound)

            let wrong = try await client.send(uri: "/api/v1/blobs/\(Digest.sha256([1, 2, 3]))", method: .put, headers: auth, body: ByteBuffer(bytes: bytes))
            #expect(wrong.status == .badRequest && harness.errorCode(wrong) == "digest_mismatch")
            let stored = try FileManager.default.subpathsOfDirectory(atPath: harness.directory.file("data/blobs/sha256"))
            #expect(stored.allSatisfy { !$0.contains(Digest.sha256([1, 2, 3]).hex) })

            #expect(try await client.send(uri: "/api/v1/blobs/\(digest)", method: .put, headers: auth, body: ByteBuffer(bytes: bytes)).status == .created)
            #expect(try await client.send(uri: "/api/v1/blobs/\(digest)", method: .put, headers: auth, body: ByteBuffer(bytes: bytes)).status == .ok)
            let shorter = try await client.send(uri: "/api/v1/blobs/\(digest)", method: .put, headers: auth, body: ByteBuffer(bytes: bytes.dropLast()))
            #expect(shorter.status == .badRequest && harness.errorCode(shorter) == "digest_mismatch")
            let head = try await client.send(uri: "/api/v1/blobs/\(digest)", method: .head, headers: auth)
            #expect(head.status == .ok && head.headers[.contentLength] == String(bytes.count))

            var ranged = auth
            ranged[.range] = "bytes=6-"
            let part = try await client.send(uri: "/api/v1/blobs/\(digest)", method: .get, headers: ranged)
            #expect(part.status == .partialContent && String(buffer: part.body) == "warden")
            #expect(part.headers[.contentRange] == "bytes 6-11/12")
            ranged[.range] = "bytes=50-60"
            let unsatisfiable = try await client.send(uri: "/api/v1/blobs/\(digest)", method: .get, headers: ranged)
            #expect(unsatisfiable.status == .rangeNotSatisfiable && harness.errorCode(unsatisfiable) == "range_not_satisfiable")
            #expect(unsatisfiable.headers[.contentRange] == "bytes */12")
            for (range, status) in [("bytes=11-", HTTPResponse.Status.partialContent), ("bytes=-99", .partialContent), ("bytes=5-3", .rangeNotSatisfiable), ("bytes=-0", .rangeNotSatisfiable), ("bytes=99999999999999999999-", .rangeNotSatisfiable), ("bytes=0-1,3-4", .badRequest), ("items=0-1", .badRequest), ("bytes= 0-1", .badRequest), ("", .badRequest)] {
                ranged[.range] = range
                let response = try await client.send(uri: "/api/v1/blobs/\(digest)", method: .get, headers: ranged)
                #expect(response.status == status, "Range: \(range)")
            }
            // No Content-Length and no Transfer-Encoding: no body at all, refused rather than stored empty.
            let port = try #require(client.port)
            let status = try harness.rawStatusLine("PUT /api/v1/blobs/\(digest) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(harness.adminToken)\r\n\r\n", port: port)
            #expect(status == "HTTP/1.1 411 Length Required")
            var empty = auth
            empty[.contentLength] = "0"
            let emptyBlob = try await client.send(uri: "/api/v1/blobs/\(Digest.sha256([UInt8]()))", method: .put, headers: empty)
            #expect(emptyBlob.status == .created)

            let big = [UInt8](repeating: 7, count: 2000)
            let tooBig = try await client.send(uri: "/api/v1/blobs/\(Digest.sha256(big))", method: .put, headers: auth, body: ByteBuffer(bytes: big))
            #expect(tooBig.status == .contentTooLarge && harness.errorCode(tooBig) == "payload_too_large")

            let badName = try await client.send(uri: "/api/v1/blobs/sha256:xyz", method: .head, headers: auth)
            #expect(badName.status == .badRequest)
        }
    }

    @Test func publishIsVerifiedImmutableAndHonestlyNumbered() async throws {
        try await ServerHarness.run { harness, client in
            let one = try harness.model("mlp-1layer.onnx", card: "name: iris\nlabels: [a, b, c]\n", as: "one")
            let body = try await harness.prepare(one, version: "1.0.0", client: client)
            let first = try await harness.publish("iris", body, client: client)
            #expect(first.status == .created, "\(String(buffer: first.body))")
            let object = try harness.json(first)
            #expect(object["signers"] as? [String] == [harness.key.keyID])
            #expect((object["manifest_digest"] as? String)?.hasPrefix("sha256:") == true)

            // The same content again is a no-op; other content under the same number is a conflict.
            #expect(try await harness.publish("iris", body, client: client).status == .ok)
            let two = try harness.model("mlp-2layer.onnx", card: "name: iris\nlabels: [a, b, c]\n", as: "two")
            let conflict = try await harness.publish("iris", try await harness.prepare(two, version: "1.0.0", client: client), client: client)
            #expect(conflict.status == .conflict && String(buffer: conflict.body).contains("versions are immutable"))

            // A layer added needs MINOR: 1.0.1 is refused with the bump, the reasons and the version to use.
            let patch = try await harness.publish("iris", try await harness.prepare(two, version: "1.0.1", client: client), client: client)
            #expect(patch.status == .unprocessableContent)
            let error = try #require(try harness.json(patch)["error"] as? [String: Any])
            #expect(error["code"] as? String == "semver_violation")
            #expect(error["required_bump"] as? String == "MINOR")
            #expect(error["suggested_version"] as? String == "1.1.0")
            #expect((error["reasons"] as? [String])?.first?.hasPrefix("topology changed") == true)
            let minor = try await harness.publish("iris", try await harness.prepare(two, version: "1.1.0", client: client), client: client)
            #expect(minor.status == .created)
            #expect(try harness.json(minor)["required_bump"] as? String == "MINOR")

            let list = try harness.json(try await client.send(uri: "/api/v1/models/iris/versions", method: .get, headers: harness.headers(harness.adminToken)))
            #expect((list["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? String } == ["1.0.0", "1.1.0"])

            var ranged = harness.headers(harness.adminToken)
            ranged[.range] = "bytes=0-4"
            let file = try await client.send(uri: "/api/v1/models/iris/versions/1.0.0/files/warden.yaml", method: .get, headers: ranged)
            #expect(file.status == .partialContent && String(buffer: file.body) == "name:")
        }
    }

    @Test func signaturesAreRequiredAndCheckedAgainstTheStoredBytes() async throws {
        try await ServerHarness.run { harness, client in
            let model = try harness.model("logreg-a.onnx", as: "a")
            let unsigned = try await harness.publish("fraud", try await harness.prepare(model, version: "1.0.0", sign: false, client: client), client: client)
            #expect(unsigned.status == .unprocessableContent && harness.errorCode(unsigned) == "signature_required")

            // A signature over other bytes: sign logreg-b, publish logreg-a's files with it.
            let other = try harness.model("logreg-b.onnx", as: "b")
            let signedOther = try harness.json(response: try await harness.prepare(other, version: "1.0.0", client: client))
            var forged = try harness.json(response: try await harness.prepare(model, version: "1.0.0", sign: false, client: client))
            forged["bundle"] = signedOther["bundle"]
            let tampered = try await harness.publish("fraud", ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: forged)), client: client)
            #expect(tampered.status == .unprocessableContent && harness.errorCode(tampered) == "model_modified", "\(String(buffer: tampered.body))")
            #expect(try await harness.publish("fraud", try await harness.prepare(model, version: "1.0.0", client: client), client: client).status == .created)
        }
    }

    @Test func unsignedVersionsWhenTheServerAllowsThem() async throws {
        try await ServerHarness.run({ $0.requireSignature = false }) { harness, client in
            let model = try harness.model("logreg-a.onnx", as: "a")
            let response = try await harness.publish("fraud", try await harness.prepare(model, version: "0.1.0", sign: false, client: client), client: client)
            #expect(response.status == .created)
            #expect(try harness.json(response)["signed"] as? Bool == false)
        }
    }

    @Test func badVersionRequestsAreClear4xx() async throws {
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            let digest = Digest.sha256(Array("x".utf8))
            _ = try await client.send(uri: "/api/v1/blobs/\(digest)", method: .put, headers: auth, body: ByteBuffer(string: "x"))
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"version": "1.0.0", "files": [{"path": "../etc/passwd", "digest": "\#(digest)", "size": 1}]}"#, .badRequest, "'..'"),
                (#"{"version": "1.0.0", "files": [{"path": "/abs", "digest": "\#(digest)", "size": 1}]}"#, .badRequest, "absolute"),
                (#"{"version": "1.0.0", "files": [{"path": "a\\b", "digest": "\#(digest)", "size": 1}]}"#, .badRequest, "backslash"),
                (#"{"version": "1.0.0", "files": [{"path": "a\u0000b", "digest": "\#(digest)", "size": 1}]}"#, .badRequest, "NUL"),
                (#"{"version": "1.0", "files": []}"#, .badRequest, "is not a semantic version"),
                (#"{"version": 1, "files": []}"#, .badRequest, "version must be a string"),
                (#"{"files": []}"#, .badRequest, "version is missing"),
                (#"{"version": "1.0.0", "files": [{"path": "m", "digest": "md5:00", "size": 1}]}"#, .badRequest, "files[0].digest is not a digest"),
                (#"{"version": "1.0.0", "files": [{"path": "m", "digest": "\#(digest)", "size": "1"}]}"#, .badRequest, "files[0].size must be a whole number"),
                (#"{"version": "1.0.0", "files": []}"#, .badRequest, "lists no files"),
                (#"{"version": "1.0.0", "files": [{"path": "m", "digest": "\#(Digest.sha256([9]))", "size": 1}]}"#, .notFound, "are not uploaded"),
                (#"[1, 2]"#, .badRequest, "the top level must be a JSON object"),
                (#"{"version": "#, .badRequest, "not valid JSON"),
            ]
            for (body, status, message) in cases {
                let response = try await client.send(uri: "/api/v1/models/fraud/versions", method: .post, headers: auth, body: ByteBuffer(string: body))
                #expect(response.status == status, "\(body): \(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(message), "\(body): \(String(buffer: response.body))")
                #expect(harness.errorCode(response) != nil)
            }
            let badName = try await client.send(uri: "/api/v1/models/bad%20name/versions", method: .get, headers: auth)
            #expect(badName.status == .badRequest)
            let badAlias = try await client.send(uri: "/api/v1/models/fraud/aliases/Prod", method: .put, headers: auth, body: ByteBuffer(string: #"{"version": "1.0.0"}"#))
            #expect(badAlias.status == .badRequest && String(buffer: badAlias.body).contains("not a valid alias"))
            // The server is still serving.
            #expect(try await client.send(uri: "/healthz", method: .get).status == .ok)
        }
    }

    @Test func aliasesHistoryYanksAndEvents() async throws {
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            let a = try harness.model("logreg-a.onnx", as: "a")
            let b = try harness.model("logreg-b.onnx", as: "b")
            #expect(try await harness.publish("fraud", try await harness.prepare(a, version: "1.0.0", client: client), client: client).status == .created)
            #expect(try await harness.publish("fraud", try await harness.prepare(b, version: "1.0.1", client: client), client: client).status == .created)

            for version in ["1.0.0", "1.0.1"] {
                let set = try await client.send(uri: "/api/v1/models/fraud/aliases/production", method: .put, headers: auth, body: ByteBuffer(string: #"{"version": "\#(version)"}"#))
                #expect(set.status == .ok)
            }
            let unknown = try await client.send(uri: "/api/v1/models/fraud/aliases/production", method: .put, headers: auth, body: ByteBuffer(string: #"{"version": "9.9.9"}"#))
            #expect(unknown.status == .notFound)
            let alias = try harness.json(try await client.send(uri: "/api/v1/models/fraud/aliases/production", method: .get, headers: auth))
            #expect(alias["version"] as? String == "1.0.1")
            let history = try harness.json(try await client.send(uri: "/api/v1/models/fraud/aliases/production/history", method: .get, headers: auth))
            let moves = try #require(history["history"] as? [[String: Any]])
            #expect(moves.count == 2)
            #expect(moves.first?["from"] as? String == "1.0.0" && moves.first?["to"] as? String == "1.0.1" && moves.first?["actor"] as? String == "admin")

            // Yanked: still resolvable exactly, out of "latest".
            let yank = try await client.send(uri: "/api/v1/models/fraud/versions/1.0.1/yank", method: .post, headers: auth, body: ByteBuffer(string: #"{"reason": "bad calibration"}"#))
            #expect(yank.status == .ok)
            #expect(try harness.json(yank)["yanked"] as? Bool == true)
            #expect(try harness.json(try await client.send(uri: "/api/v1/models/fraud/latest", method: .get, headers: auth))["version"] as? String == "1.0.0")
            #expect(try await client.send(uri: "/api/v1/models/fraud/versions/1.0.1", method: .get, headers: auth).status == .ok)

            let events = try harness.json(try await client.send(uri: "/api/v1/events?since=1", method: .get, headers: auth))
            let kinds = (events["events"] as? [[String: Any]])?.compactMap { $0["kind"] as? String }
            #expect(kinds == ["model.created", "version.created", "version.created", "alias.set", "alias.set", "version.yanked"])
            let sequences = (events["events"] as? [[String: Any]])?.compactMap { $0["sequence"] as? Int } ?? []
            #expect(sequences == Array(2...7))

            // A long poll with nothing new returns after its wait, empty.
            let started = ContinuousClock.now
            let idle = try harness.json(try await client.send(uri: "/api/v1/events?since=7&wait=1", method: .get, headers: auth))
            #expect((idle["events"] as? [Any])?.isEmpty == true && ContinuousClock.now - started >= .milliseconds(900))
        }
    }

    @Test func modelsCRUDSearchAndPagination() async throws {
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            for name in ["fraud-a", "fraud-b", "churn", "fraud-c"] {
                let tag = name.hasPrefix("fraud") ? "risk" : "growth"
                let response = try await client.send(uri: "/api/v1/models", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "\#(name)", "tags": ["\#(tag)"]}"#))
                #expect(response.status == .created)
            }
            #expect(try await client.send(uri: "/api/v1/models", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "churn"}"#)).status == .conflict)
            let page1 = try harness.json(try await client.send(uri: "/api/v1/models?prefix=fraud&limit=2", method: .get, headers: auth))
            #expect((page1["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["fraud-a", "fraud-b"])
            let cursor = try #require(page1["next_cursor"] as? String)
            let page2 = try harness.json(try await client.send(uri: "/api/v1/models?prefix=fraud&limit=2&cursor=\(cursor)", method: .get, headers: auth))
            #expect((page2["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["fraud-c"])
            let tagged = try harness.json(try await client.send(uri: "/api/v1/models?tag=growth", method: .get, headers: auth))
            #expect((tagged["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["churn"])

            let patched = try await client.send(uri: "/api/v1/models/churn", method: .patch, headers: auth, body: ByteBuffer(string: #"{"description": "who leaves"}"#))
            #expect(try harness.json(patched)["description"] as? String == "who leaves")
            #expect(try await client.send(uri: "/api/v1/models/churn", method: .delete, headers: auth).status == .noContent)
            #expect(try await client.send(uri: "/api/v1/models/churn", method: .get, headers: auth).status == .notFound)
        }
    }
}

extension ServerHarness {
    func json(response buffer: ByteBuffer) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
    }
}
