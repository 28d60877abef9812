import Foundation
import WardenCore

/// API token secrets: `wdn_` and 32 random bytes in base64url. Only their
/// SHA-256 is ever stored.
public enum TokenSecret {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "wdn_" + text
    }

    public static func hash(_ secret: some StringProtocol) -> Digest {
        Digest.sha256(Array(secret.utf8))
    }
}
