import SwiftASN1
import WardenCore

/// Reads the one key block out of PEM text, telling people exactly what was wrong.
enum PEMInput {
    static let publicLabels: Set<String> = ["PUBLIC KEY"]
    static let privateLabels: Set<String> = ["PRIVATE KEY", "EC PRIVATE KEY"]

    /// The key block of `text`; `EC PARAMETERS` blocks (as `openssl ecparam -genkey` writes them) are skipped.
    static func keyDocument(_ text: String, source: String) throws -> PEMDocument {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw WardenError(
                .invalidKey,
                "\(source) is not a PEM key: \(error); expected '-----BEGIN PUBLIC KEY-----' or '-----BEGIN PRIVATE KEY-----'",
                cause: error
            )
        }
        let keys = documents.filter { $0.discriminator != "EC PARAMETERS" }
        guard let document = keys.first else {
            throw WardenError(.invalidKey, "\(source) holds no PEM key block; generate one with 'warden keygen'")
        }
        guard keys.count == 1 else {
            throw WardenError(.invalidKey, "\(source) holds \(keys.count) PEM blocks; put one key in each file")
        }
        switch document.discriminator {
        case "ENCRYPTED PRIVATE KEY":
            throw WardenError(
                .unsupportedKey,
                "\(source) is an encrypted private key; decrypt it first (openssl pkcs8 -in KEY -out PLAIN.key)"
            )
        case "RSA PRIVATE KEY", "RSA PUBLIC KEY":
            throw WardenError(.unsupportedKey, unsupportedTypeMessage(source: source, found: "an RSA key"))
        default:
            return document
        }
    }

    static func unsupportedTypeMessage(source: String, found: String) -> String {
        "\(source) is \(found); Warden signs with \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")) keys (make one with 'warden keygen')"
    }
}
