/// Dead Simple Signing Envelope: a payload, its type, and signatures over
/// the pre-authentication encoding of both.
public struct DSSEEnvelope: Sendable, Equatable {
    public struct Signature: Sendable, Equatable {
        /// DER ECDSA or raw Ed25519 signature bytes over `DSSEEnvelope.pae`.
        public var sig: [UInt8]
        /// An unauthenticated hint naming the key; OMS leaves it empty.
        public var keyid: String

        public init(sig: [UInt8], keyid: String = "") {
            self.sig = sig
            self.keyid = keyid
        }
    }

    /// The in-toto payload type, the only one OMS uses.
    public static let inTotoPayloadType = "application/vnd.in-toto+json"

    public var payload: [UInt8]
    public var payloadType: String
    public var signatures: [Signature]

    public init(payload: [UInt8], payloadType: String = Self.inTotoPayloadType, signatures: [Signature] = []) {
        self.payload = payload
        self.payloadType = payloadType
        self.signatures = signatures
    }

    /// The bytes every signature covers.
    public var pae: [UInt8] { Self.preAuthenticationEncoding(payloadType: payloadType, payload: payload) }

    /// `"DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths as ASCII decimal byte counts.
    public static func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        var out = Array("DSSEv1 \(type.count) ".utf8)
        out.reserveCapacity(out.count + type.count + payload.count + 24)
        out += type
        out += Array(" \(payload.count) ".utf8)
        out += payload
        return out
    }
}
