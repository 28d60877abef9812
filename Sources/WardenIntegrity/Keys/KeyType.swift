/// The signature algorithms Warden signs and verifies with.
///
/// ECDSA keys produce OMS v1.0 signatures that `model_signing` verifies;
/// Ed25519 is Warden's extension (OMS's key method supports EC keys only).
public enum KeyType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case ecdsaP521 = "ecdsa-p521"
    case ed25519 = "ed25519"

    public var description: String { rawValue }

    /// Whether `model_signing` can verify signatures made with this key type.
    public var isOMSCompatible: Bool { self != .ed25519 }
}
