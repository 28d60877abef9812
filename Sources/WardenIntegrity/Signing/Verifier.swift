import Foundation
import WardenCore

/// Verifies OMS v1.0 bundles against a `TrustPolicy`, and models against
/// the manifests those bundles sign.
///
/// ```swift
/// let verifier = Verifier(policy: try TrustPolicy(directory: "trust"))
/// let result = try verifier.verify(model: "models/resnet", bundle: SignatureBundle(contentsOf: "model.sig"))
/// print("verified \(result.rootDigest) signed by \(result.signers.map(\.keyID))")
/// ```
public struct Verifier: Sendable {
    /// A statement whose signatures met the trust policy.
    public struct VerifiedStatement: Sendable {
        public let statement: ModelSigningStatement
        /// The distinct trusted keys that signed, in signature order.
        public let signers: [VerifyingKey]
    }

    /// A model whose bytes match a trusted signature.
    public struct Result: Sendable {
        public let rootDigest: Digest
        public let signers: [VerifyingKey]
        public let manifest: Manifest
        public let subjectName: String
    }

    /// Bundles with more signatures than this are refused, so a crafted file
    /// cannot make verification try keys × signatures without bound.
    public static let maximumSignatures = 64

    public let policy: TrustPolicy
    public var workers: Int

    public init(policy: TrustPolicy, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.policy = policy
        self.workers = workers
    }

    /// Checks the bundle's signatures and statement, without reading any model file.
    /// - Throws: `.untrustedSignature`, `.thresholdNotMet`, `.malformedSignature`,
    ///   `.invalidResourceName` or `.digestMismatch`.
    public func verifySignatures(of bundle: SignatureBundle) throws -> VerifiedStatement {
        let envelope = bundle.envelope
        guard envelope.signatures.count <= Self.maximumSignatures else {
            throw WardenError(
                .malformedSignature,
                "dsseEnvelope.signatures has \(envelope.signatures.count) entries; at most \(Self.maximumSignatures) are accepted"
            )
        }
        let pae = envelope.pae
        var signers: [VerifyingKey] = []
        for signature in envelope.signatures {
            for key in policy.keys where !signers.contains(key) && key.isValidSignature(signature.sig, for: pae) {
                signers.append(key)
                break
            }
        }
        guard !signers.isEmpty else {
            let claimed = bundle.publicKeyHint.map { " (the bundle names key \($0))" } ?? ""
            throw WardenError(
                .untrustedSignature,
                "no trusted key made any of the \(envelope.signatures.count) signature(s)\(claimed); trusted: \(policy.keys.map(\.keyID).joined(separator: ", "))"
            )
        }
        guard signers.count >= policy.threshold else {
            throw WardenError(
                .thresholdNotMet,
                "signed by \(signers.count) trusted key(s) (\(signers.map(\.keyID).joined(separator: ", "))) but the threshold is \(policy.threshold)"
            )
        }
        // Only an authenticated payload is interpreted.
        return VerifiedStatement(statement: try ModelSigningStatement(payload: envelope.payload), signers: signers)
    }

    /// Verifies the bundle, then re-hashes the model with the serialization it
    /// records and compares every resource.
    ///
    /// - Parameters:
    ///   - model: the model directory or file.
    ///   - signaturePath: where the bundle lives; left out of the hash when it is inside the model.
    /// - Throws: the errors of `verifySignatures(of:)`, `.modelModified` (with a
    ///   `ManifestDifference` as cause) or the hashing errors of `ModelHasher`.
    public func verify(model: String, bundle: SignatureBundle, signaturePath: String? = nil, progress: HashProgress? = nil) throws -> Result {
        let verified = try verifySignatures(of: bundle)
        let signed = verified.statement.manifest
        let hasher = ModelHasher(serialization: signed.serialization, workers: workers)
        let actual = try hasher.manifest(of: model, alsoIgnoring: signaturePath.map { [$0] } ?? [], progress: progress)
        let difference = ManifestDifference(expected: signed, actual: actual)
        guard difference.isEmpty else {
            throw WardenError(.modelModified, "the model does not match its signature: \(difference.summary)", cause: difference)
        }
        return Result(
            rootDigest: signed.rootDigest,
            signers: verified.signers,
            manifest: signed,
            subjectName: verified.statement.subjectName
        )
    }
}
