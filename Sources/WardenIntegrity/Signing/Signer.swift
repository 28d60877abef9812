import WardenCore

/// Signs manifests as OpenSSF Model Signing v1.0 bundles.
///
/// ```swift
/// let manifest = try ModelHasher().manifest(of: "models/resnet")
/// let bundle = try Signer(key: SigningKey(contentsOf: "me.key")).sign(manifest, modelName: "resnet")
/// try bundle.write(to: "model.sig")
/// ```
public struct Signer: Sendable {
    public let key: SigningKey

    public init(key: SigningKey) {
        self.key = key
    }

    /// A new bundle with one signature, `signatures[0]`, exactly as `model_signing` writes it.
    public func sign(_ manifest: Manifest, modelName: String) throws -> SignatureBundle {
        let statement = ModelSigningStatement(subjectName: modelName, manifest: manifest)
        var envelope = DSSEEnvelope(payload: statement.payload())
        envelope.signatures = [.init(sig: try key.signature(for: envelope.pae), keyid: "")]
        return SignatureBundle(publicKeyHint: key.keyID, envelope: envelope)
    }

    /// Adds this key's signature over the same payload, leaving `signatures[0]`
    /// (the plain OMS signature) as it was. The new entry names its key in `keyid`.
    /// - Throws: `.invalidArgument` when this key already signed the bundle.
    public func cosign(_ bundle: SignatureBundle) throws -> SignatureBundle {
        let pae = bundle.envelope.pae
        let alreadySigned = bundle.envelope.signatures.contains { key.publicKey.isValidSignature($0.sig, for: pae) }
        guard !alreadySigned else {
            throw WardenError(.invalidArgument, "key \(key.keyID) has already signed this bundle; co-sign with a different key")
        }
        var result = bundle
        result.envelope.signatures.append(.init(sig: try key.signature(for: pae), keyid: key.keyID))
        return result
    }
}
