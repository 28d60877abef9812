import Foundation
import WardenCore

/// A Sigstore bundle (v0.3) holding a DSSE envelope: the `model.sig` file of
/// OpenSSF Model Signing's key method.
///
/// `publicKeyHint` is the key id of `signatures[0]`'s key. Co-signatures
/// appended by Warden carry their key id in the DSSE `keyid` field.
public struct SignatureBundle: Sendable, Equatable {
    public static let mediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
    /// The same version, in the older media type spelling some Sigstore clients write.
    static let acceptedMediaTypes: Set<String> = [mediaType, "application/vnd.dev.sigstore.bundle+json;version=0.3"]

    public var publicKeyHint: String?
    public var envelope: DSSEEnvelope

    public init(publicKeyHint: String?, envelope: DSSEEnvelope) {
        self.publicKeyHint = publicKeyHint
        self.envelope = envelope
    }

    // MARK: - Decoding

    /// Parses bundle JSON, checking its shape but not its signatures.
    /// - Throws: `.malformedSignature` saying which field is wrong.
    public init(json bytes: [UInt8]) throws {
        let root = try JSONField.parse(bytes, what: "the signature file")
        let mediaType = try root.field("mediaType").string()
        guard Self.acceptedMediaTypes.contains(mediaType) else {
            throw JSONField.malformed(
                "mediaType is '\(mediaType)'; expected a Sigstore bundle v0.3 (\(Self.mediaType)) as written by model_signing or warden sign"
            )
        }
        let material = try root.field("verificationMaterial")
        if let publicKey = try material.optionalField("publicKey") {
            publicKeyHint = try publicKey.optionalField("hint")?.string()
        } else if try material.optionalField("certificate") != nil || material.optionalField("x509CertificateChain") != nil {
            throw WardenError(
                .malformedSignature,
                "verificationMaterial holds a certificate (a Sigstore or PKI signature); Warden verifies key-method signatures (verificationMaterial.publicKey)"
            )
        } else {
            throw JSONField.malformed("verificationMaterial.publicKey is missing")
        }

        let dsse = try root.field("dsseEnvelope")
        let payloadType = try dsse.field("payloadType").string()
        guard payloadType == DSSEEnvelope.inTotoPayloadType else {
            throw JSONField.malformed("dsseEnvelope.payloadType is '\(payloadType)'; expected '\(DSSEEnvelope.inTotoPayloadType)'")
        }
        let payload = try dsse.field("payload").base64()
        let signatures = try dsse.field("signatures").array().map { field in
            DSSEEnvelope.Signature(sig: try field.field("sig").base64(), keyid: try field.optionalField("keyid")?.string() ?? "")
        }
        guard !signatures.isEmpty else {
            throw JSONField.malformed("dsseEnvelope.signatures is empty; the file carries no signature")
        }
        envelope = DSSEEnvelope(payload: payload, payloadType: payloadType, signatures: signatures)
    }

    /// Reads and parses a bundle file.
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw WardenError(.pathNotFound, "signature file '\(path)' does not exist; create it with 'warden sign'")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WardenError(.unreadableFile, "cannot read signature file '\(path)'; check its permissions")
        }
        try self.init(json: Array(data))
    }

    // MARK: - Encoding

    /// The bundle as JSON, in the shape `model_signing` writes.
    public func json() -> [UInt8] {
        var publicKey: [String: Any] = [:]
        if let publicKeyHint { publicKey["hint"] = publicKeyHint }
        let bundle: [String: Any] = [
            "mediaType": Self.mediaType,
            "verificationMaterial": ["publicKey": publicKey, "tlogEntries": [Any]()],
            "dsseEnvelope": [
                "payload": Data(envelope.payload).base64EncodedString(),
                "payloadType": envelope.payloadType,
                "signatures": envelope.signatures.map { ["sig": Data($0.sig).base64EncodedString(), "keyid": $0.keyid] },
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }

    /// Writes the bundle atomically (temporary file, then rename).
    public func write(to path: String) throws {
        do {
            try Data(json()).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WardenError(.ioFailure, "cannot write signature file '\(path)': \(error.localizedDescription)", cause: error)
        }
    }
}
