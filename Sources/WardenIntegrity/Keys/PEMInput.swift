import Foundation
import SwiftASN1
import WardenCore

/// Reads the one key block out of PEM text, telling people exactly what was wrong.
///
/// Parsing is lenient about layout (any line length, CRLF, blank lines), as
/// OpenSSL is; everything downstream sees the canonical re-encoding, so a key's
/// id does not depend on how its file was wrapped.
enum PEMInput {
    static let publicLabels: Set<String> = ["PUBLIC KEY"]
    static let privateLabels: Set<String> = ["PRIVATE KEY", "EC PRIVATE KEY"]

    /// The key block of `text`; `EC PARAMETERS` blocks (as `openssl ecparam -genkey` writes them) are skipped.
    static func keyDocument(_ text: String, source: String) throws -> PEMDocument {
        let keys = try blocks(in: text, source: source).filter { $0.discriminator != "EC PARAMETERS" }
        guard let document = keys.first else {
            throw WardenError(
                .invalidKey,
                "\(source) is not a PEM key: it has no '-----BEGIN ...-----' block; expected '-----BEGIN PUBLIC KEY-----' or '-----BEGIN PRIVATE KEY-----'"
            )
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

    /// Every `-----BEGIN X-----` … `-----END X-----` block, base64 decoded.
    static func blocks(in text: String, source: String) throws -> [PEMDocument] {
        var documents: [PEMDocument] = []
        var label: String?
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let begin = marker("BEGIN", line) {
                guard label == nil else {
                    throw WardenError(.invalidKey, "\(source) is not a PEM key: '-----BEGIN \(begin)-----' starts before the previous block ended")
                }
                label = begin
                body = ""
            } else if let end = marker("END", line) {
                guard let open = label, open == end else {
                    throw WardenError(.invalidKey, "\(source) is not a PEM key: '-----END \(end)-----' does not close a matching BEGIN")
                }
                guard let der = Data(base64Encoded: body), !der.isEmpty else {
                    throw WardenError(.invalidKey, "\(source) is not a PEM key: the '\(open)' block is not valid base64")
                }
                documents.append(PEMDocument(type: open, derBytes: Array(der)))
                label = nil
            } else if label != nil {
                body += line
            }
        }
        if let label {
            throw WardenError(.invalidKey, "\(source) is not a PEM key: the '\(label)' block has no END line (truncated?)")
        }
        return documents
    }

    private static func marker(_ kind: String, _ line: String) -> String? {
        let prefix = "-----\(kind) "
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.count > prefix.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }

    static func unsupportedTypeMessage(source: String, found: String) -> String {
        "\(source) is \(found); Warden signs with \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")) keys (make one with 'warden keygen')"
    }

    /// Names the algorithm (and curve) of a SubjectPublicKeyInfo or PKCS#8 key,
    /// for error messages about keys Warden does not support.
    static func describeAlgorithm(der: [UInt8], isPrivate: Bool) -> String {
        guard let (algorithm, parameter) = try? algorithmIdentifier(der: der, isPrivate: isPrivate) else {
            return "not a well-formed \(isPrivate ? "PKCS#8 private" : "SubjectPublicKeyInfo public") key"
        }
        let names: [String: String] = [
            "1.2.840.113549.1.1.1": "an RSA key", "1.2.840.113549.1.1.10": "an RSA-PSS key",
            "1.2.840.10040.4.1": "a DSA key", "1.3.101.111": "an X448 key", "1.3.101.110": "an X25519 key",
            "1.3.101.113": "an Ed448 key",
        ]
        let curves: [String: String] = [
            "1.3.132.0.10": "secp256k1", "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521",
        ]
        if algorithm == "1.2.840.10045.2.1" {
            let curve = parameter.map { curves[$0] ?? $0 } ?? "an unnamed curve"
            return "an EC key on curve \(curve), which is not supported"
        }
        return names[algorithm] ?? "a key of algorithm \(algorithm), which is not supported"
    }

    /// The algorithm OID and, when it is an OID, its parameter.
    private static func algorithmIdentifier(der: [UInt8], isPrivate: Bool) throws -> (String, String?) {
        let root = try DER.parse(der)
        return try DER.sequence(root, identifier: .sequence) { nodes in
            if isPrivate { _ = try Int(derEncoded: &nodes) }  // PKCS#8 version
            guard let algorithmNode = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no algorithm") }
            let result = try DER.sequence(algorithmNode, identifier: .sequence) { inner -> (String, String?) in
                let oid = try ASN1ObjectIdentifier(derEncoded: &inner)
                let parameter = inner.next().flatMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
                return (oid.description, parameter?.description)
            }
            while nodes.next() != nil {}
            return result
        }
    }
}
