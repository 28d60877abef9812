import Crypto
import Foundation

/// A content digest, written `sha256:<64 hex>`.
///
/// Warden names every blob and every model version by a digest. Only SHA-256
/// is used for identities; the algorithm is kept in the value so that the text
/// form is self-describing and a future algorithm is not a breaking change.
///
/// ```swift
/// let digest = try Digest(parsing: "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")
/// print(digest.hex)
/// ```
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case sha256

        /// The length of a digest of this algorithm, in bytes.
        public var byteCount: Int {
            switch self {
            case .sha256: 32
            }
        }
    }

    public let algorithm: Algorithm
    /// The raw digest bytes.
    public let bytes: [UInt8]

    /// Wraps raw digest bytes; returns `nil` when their length does not fit the algorithm.
    public init?(algorithm: Algorithm = .sha256, bytes: [UInt8]) {
        guard bytes.count == algorithm.byteCount else { return nil }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// Wraps a finished swift-crypto SHA-256 digest.
    public init(_ digest: SHA256.Digest) {
        self.algorithm = .sha256
        self.bytes = Array(digest)
    }

    /// Parses `sha256:<hex>`.
    /// - Throws: `WardenError` with code `invalidDigest` naming what is wrong.
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":") else {
            throw WardenError(.invalidDigest, "digest '\(text)' has no algorithm prefix; write it as sha256:<64 hex digits>")
        }
        let name = String(text[..<colon])
        guard let algorithm = Algorithm(rawValue: name) else {
            throw WardenError(.invalidDigest, "digest algorithm '\(name)' is not supported; use sha256")
        }
        try self.init(algorithm: algorithm, hex: text[text.index(after: colon)...])
    }

    /// Parses the bare hexadecimal form of a digest of `algorithm`.
    public init(algorithm: Algorithm = .sha256, hex: some StringProtocol) throws {
        guard let bytes = Hex.decode(hex), bytes.count == algorithm.byteCount else {
            throw WardenError(
                .invalidDigest,
                "'\(hex)' is not a \(algorithm.rawValue) digest; expected \(algorithm.byteCount * 2) hexadecimal digits"
            )
        }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// SHA-256 of `data`.
    public static func sha256(_ data: some DataProtocol) -> Digest {
        Digest(SHA256.hash(data: data))
    }

    /// The lower-case hexadecimal digest, without the algorithm prefix.
    public var hex: String { Hex.encode(bytes) }

    /// `sha256:<hex>`.
    public var description: String { "\(algorithm.rawValue):\(hex)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}
