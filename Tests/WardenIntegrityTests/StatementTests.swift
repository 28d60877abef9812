import Foundation
import Testing
@testable import WardenIntegrity

/// Malformed payloads and bundles: each names what is wrong and where.
@Suite struct StatementTests {
    static let digestA = Digest.sha256(Array("a".utf8)).hex
    static let digestB = Digest.sha256(Array("b".utf8)).hex
    static let root = Digest.sha256(Digest.sha256(Array("a".utf8)).bytes + Digest.sha256(Array("b".utf8)).bytes).hex

    /// A statement JSON with overridable parts.
    static func statement(
        type: String = ModelSigningStatement.statementType,
        predicateType: String = ModelSigningStatement.predicateType,
        subjects: String? = nil,
        serialization: String = #"{"method":"files","hash_type":"sha256","allow_symlinks":false,"ignore_paths":[]}"#,
        resources: String? = nil
    ) -> [UInt8] {
        let subjects = subjects ?? #"[{"name":"m","digest":{"sha256":"\#(root)"}}]"#
        let resources = resources ?? #"[{"name":"a","algorithm":"sha256","digest":"\#(digestA)"},{"name":"b","algorithm":"sha256","digest":"\#(digestB)"}]"#
        return Array(
            #"{"_type":"\#(type)","subject":\#(subjects),"predicateType":"\#(predicateType)","predicate":{"serialization":\#(serialization),"resources":\#(resources)}}"#.utf8
        )
    }

    func expectRejected(_ payload: [UInt8], _ code: WardenError.Code = .malformedSignature, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectWardenError(code, containing: text, sourceLocation: sourceLocation) { _ = try ModelSigningStatement(payload: payload) }
    }

    @Test func parsesAValidStatement() throws {
        let statement = try ModelSigningStatement(payload: Self.statement())
        #expect(statement.subjectName == "m")
        #expect(statement.rootDigest.hex == Self.root)
        #expect(statement.manifest.resources.map(\.name) == ["a", "b"])
    }

    @Test func encodingRoundTrips() throws {
        let statement = try ModelSigningStatement(payload: Self.statement())
        #expect(try ModelSigningStatement(payload: statement.payload()) == statement)
    }

    @Test func acceptsPythonsFloatShardSize() throws {
        let serialization = #"{"method":"shards","hash_type":"sha256","shard_size":1000000000.0,"allow_symlinks":false,"ignore_paths":[]}"#
        let resources = #"[{"name":"a:0:1","algorithm":"sha256-sharded-1000000000","digest":"\#(Self.digestA)"},{"name":"b:0:1","algorithm":"sha256-sharded-1000000000","digest":"\#(Self.digestB)"}]"#
        let statement = try ModelSigningStatement(payload: Self.statement(serialization: serialization, resources: resources))
        #expect(statement.manifest.serialization.method == .shards(size: 1_000_000_000))
        #expect(statement.manifest.resources.map(\.shard) == [0..<1, 0..<1])
    }

    @Test func notJSON() {
        expectRejected(Array("not json".utf8), containing: "is not valid JSON")
        expectRejected(Array(Self.statement().prefix(40)), containing: "is not valid JSON")
        expectRejected([], containing: "it is empty")
    }

    @Test func wrongStatementType() {
        expectRejected(Self.statement(type: "https://in-toto.io/Statement/v0.1"), containing: "expected an in-toto Statement v1")
    }

    @Test func unknownPredicate() {
        expectRejected(Self.statement(predicateType: "https://model_signing/Digests/v0.1"), containing: "which Warden does not know")
    }

    @Test func zeroOrSeveralSubjects() {
        expectRejected(Self.statement(subjects: "[]"), containing: "has 0 subjects")
        let two = #"[{"name":"m","digest":{"sha256":"\#(Self.root)"}},{"name":"n","digest":{"sha256":"\#(Self.root)"}}]"#
        expectRejected(Self.statement(subjects: two), containing: "has 2 subjects")
    }

    @Test func subjectDigestThatDoesNotMatchTheResources() {
        let wrong = #"[{"name":"m","digest":{"sha256":"\#(Self.digestA)"}}]"#
        expectRejected(Self.statement(subjects: wrong), .digestMismatch, containing: "is not the root digest of the listed resources")
    }

    @Test func missingAndMistypedFieldsNameTheirLocation() {
        expectRejected(Self.statement(subjects: #"[{"name":"m"}]"#), containing: "subject[0].digest is missing")
        expectRejected(Self.statement(serialization: #"{"method":"tar"}"#), containing: "predicate.serialization.method is 'tar'")
        expectRejected(
            Self.statement(resources: #"[{"name":"a","algorithm":"sha256","digest":"xyz"}]"#),
            containing: "predicate.resources[0].digest is not a SHA-256 hex digest"
        )
        expectRejected(
            Self.statement(resources: #"[{"name":"a","algorithm":"blake2b","digest":"\#(Self.digestA)"}]"#),
            containing: "predicate.resources[0].algorithm is 'blake2b'"
        )
        expectRejected(
            Self.statement(serialization: #"{"method":"shards","shard_size":"big"}"#),
            containing: "shard_size must be a whole number"
        )
    }

    @Test func duplicateResource() {
        let resources = #"[{"name":"a","algorithm":"sha256","digest":"\#(Self.digestA)"},{"name":"a","algorithm":"sha256","digest":"\#(Self.digestB)"}]"#
        expectRejected(Self.statement(resources: resources), containing: "is listed twice")
    }

    @Test(arguments: [
        ("../etc/passwd", "contains '..'"),
        ("a/../../b", "contains '..'"),
        ("/etc/passwd", "is an absolute path"),
        (#"dir\\file"#, "contains a backslash"),
        (#"a\u0000b"#, "contains a NUL byte"),
        ("a//b", "empty path component"),
        ("./a", "'.' component"),
        ("a/.", "'.' component"),
        ("", "is empty"),
    ])
    func unsafeResourceNames(name: String, expected: String) {
        let resources = #"[{"name":"\#(name)","algorithm":"sha256","digest":"\#(Self.digestA)"}]"#
        expectRejected(Self.statement(resources: resources), .invalidResourceName, containing: expected)
    }

    @Test(arguments: ["a:0", "a:5:2", "a:x:10", "a:0:2000", "a:3:10", "../a:0:10"])
    func malformedShardNames(name: String) {
        let serialization = #"{"method":"shards","hash_type":"sha256","shard_size":1000,"allow_symlinks":false,"ignore_paths":[]}"#
        let resources = #"[{"name":"\#(name)","algorithm":"sha256-sharded-1000","digest":"\#(Self.digestA)"}]"#
        expectRejected(Self.statement(serialization: serialization, resources: resources), .invalidResourceName, containing: "predicate.resources[0]")
    }
}

@Suite struct BundleTests {
    func bundleJSON(mediaType: String = SignatureBundle.mediaType, payloadType: String = DSSEEnvelope.inTotoPayloadType, signatures: String = #"[{"sig":"AAAA","keyid":""}]"#, payload: String = "e30=") -> [UInt8] {
        Array(
            #"{"mediaType":"\#(mediaType)","verificationMaterial":{"publicKey":{"hint":"abc"},"tlogEntries":[]},"dsseEnvelope":{"payload":"\#(payload)","payloadType":"\#(payloadType)","signatures":\#(signatures)}}"#.utf8
        )
    }

    func expectRejected(_ json: [UInt8], containing text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectWardenError(.malformedSignature, containing: text, sourceLocation: sourceLocation) { _ = try SignatureBundle(json: json) }
    }

    @Test func parsesTheOMSShape() throws {
        let bundle = try SignatureBundle(json: bundleJSON())
        #expect(bundle.publicKeyHint == "abc")
        #expect(bundle.envelope.payload == Array("{}".utf8))
        #expect(bundle.envelope.signatures == [.init(sig: [0, 0, 0], keyid: "")])
        #expect(try SignatureBundle(json: bundle.json()) == bundle)
    }

    @Test func truncatedOrNotJSON() {
        expectRejected(Array(bundleJSON().prefix(60)), containing: "truncated or not a signature file")
        expectRejected(Array("hello".utf8), containing: "is not valid JSON")
        expectRejected([], containing: "it is empty")
        expectRejected(Array("[1,2]".utf8), containing: "the top level must be a JSON object")
    }

    @Test func wrongMediaType() {
        expectRejected(bundleJSON(mediaType: "application/vnd.dev.sigstore.bundle.v0.1+json"), containing: "mediaType is 'application/vnd.dev.sigstore.bundle.v0.1+json'")
    }

    @Test func wrongPayloadType() {
        expectRejected(bundleJSON(payloadType: "text/plain"), containing: "dsseEnvelope.payloadType is 'text/plain'")
    }

    @Test func badSignatureEntries() {
        expectRejected(bundleJSON(signatures: "[]"), containing: "carries no signature")
        expectRejected(bundleJSON(signatures: #"[{"keyid":""}]"#), containing: "dsseEnvelope.signatures[0].sig is missing")
        expectRejected(bundleJSON(signatures: #"[{"sig":"@@@"}]"#), containing: "dsseEnvelope.signatures[0].sig is not valid base64")
        expectRejected(bundleJSON(payload: "%%"), containing: "dsseEnvelope.payload is not valid base64")
    }

    @Test func certificateMaterialIsNamed() {
        let json = #"{"mediaType":"\#(SignatureBundle.mediaType)","verificationMaterial":{"certificate":{"rawBytes":"AA=="}},"dsseEnvelope":{}}"#
        expectRejected(Array(json.utf8), containing: "holds a certificate")
    }

    /// The DSSE spec's own example.
    @Test func preAuthenticationEncodingKnownAnswer() {
        let pae = DSSEEnvelope.preAuthenticationEncoding(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
        let empty = DSSEEnvelope.preAuthenticationEncoding(payloadType: "", payload: [])
        #expect(String(decoding: empty, as: UTF8.self) == "DSSEv1 0  0 ")
    }
}
