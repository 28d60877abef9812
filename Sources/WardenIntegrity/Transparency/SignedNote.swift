import Foundation
import WardenCore

/// Text signed by one or more keys, in the c2sp.org/signed-note format: the text
/// (ending in a newline), a blank line, then one line per signature,
/// `— <key name> <base64(4-byte key id ‖ signature)>`.
///
/// The text means nothing until `verify(with:)` has succeeded with a key you trust.
///
/// ```swift
/// let note = try SignedNote.parse(responseBody)
/// try note.verify(with: logVerifier)
/// let checkpoint = try Checkpoint.parse(noteBody: note.text)
/// ```
public struct SignedNote: Sendable, Hashable, CustomStringConvertible {
    /// One signature line.
    public struct Signature: Sendable, Hashable {
        public let keyName: String
        public let keyID: UInt32
        /// The signature bytes after the key id (64 for Ed25519).
        public let signature: [UInt8]

        public init(keyName: String, keyID: UInt32, signature: [UInt8]) {
            self.keyName = keyName
            self.keyID = keyID
            self.signature = signature
        }

        /// `— <key name> <base64(key id ‖ signature)>` with its newline.
        var line: String {
            let id: [UInt8] = [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff), UInt8(keyID & 0xff)]
            return "\u{2014} \(keyName) \(Data(id + signature).base64EncodedString())\n"
        }
    }

    /// Parsing rejects notes with more signatures than this (Go's sumdb/note limit; the spec asks for at least 16).
    public static let maxSignatures = 100

    /// The signed text, final newline included, blank separator line excluded.
    public let text: String
    public let signatures: [Signature]

    /// A note from its parts; `NoteSigner.sign` makes the signatures.
    public init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// The wire form: text, blank line, signature lines.
    public var serialized: String {
        text + "\n" + signatures.map(\.line).joined()
    }

    public var description: String { serialized }

    /// Parses a signed note from text.
    /// - Throws: `WardenError(.malformedSignature)` naming what is wrong.
    public static func parse(_ text: String) throws -> SignedNote {
        try parse(Array(text.utf8))
    }

    /// Parses a signed note from raw bytes, rejecting invalid UTF-8 (which a `String` would silently repair).
    ///
    /// Rejected: invalid UTF-8, control characters other than newline, no blank line
    /// before the signatures, no final newline, a signature line without the
    /// `— ` prefix, a bad key name, non-canonical base64, a signature shorter than
    /// 5 bytes, and more than `maxSignatures` signatures.
    /// - Throws: `WardenError(.malformedSignature)` naming what is wrong.
    public static func parse(_ bytes: [UInt8]) throws -> SignedNote {
        try NoteFormat.checkCharacters(bytes, what: "the signed note")
        guard let split = lastBlankLine(in: bytes) else {
            throw malformed("it has no blank line separating the text from the signature lines")
        }
        let textBytes = Array(bytes[...split])  // includes the text's final newline
        let signatureBytes = bytes[(split + 2)...]
        guard !signatureBytes.isEmpty else {
            throw malformed("it has no signature lines after the blank line")
        }
        guard signatureBytes.last == 0x0A else {
            throw malformed("it does not end in a newline (truncated?)")
        }
        let lines = signatureBytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
        guard lines.count <= maxSignatures else {
            throw malformed("it has \(lines.count) signature lines; at most \(maxSignatures) are accepted")
        }
        let signatures = try lines.enumerated().map { number, line in
            try parseSignatureLine(String(decoding: line, as: UTF8.self), number: number + 1)
        }
        return SignedNote(text: String(decoding: textBytes, as: UTF8.self), signatures: signatures)
    }

    /// Checks that at least one signature by `verifier`'s key verifies over the text.
    ///
    /// Signatures by other keys (another name, or the same name with another key id)
    /// are ignored, as the spec requires, so a note can carry a log's signature and
    /// witness cosignatures. A signature that names this key but does not verify
    /// rejects the whole note.
    /// - Throws: `WardenError(.untrustedSignature)` when no signature by the key is present or one fails.
    public func verify(with verifier: NoteVerifier) throws {
        try verify(with: [verifier])
    }

    /// Checks the note against every trusted key in `verifiers`, ignoring signatures by keys not
    /// in the list.
    /// - Returns: the verifiers whose signatures verified (at least one).
    /// - Throws: `WardenError(.untrustedSignature)` when no trusted key signed, or a signature
    ///   by a trusted key fails.
    @discardableResult
    public func verify(with verifiers: [NoteVerifier]) throws -> [NoteVerifier] {
        let message = Array(text.utf8)
        var verified: [NoteVerifier] = []
        for signature in signatures {
            let matching = verifiers.filter { $0.keyName == signature.keyName && $0.keyID == signature.keyID }
            for verifier in matching {
                guard verifier.isValidSignature(signature.signature, for: message) else {
                    throw WardenError(
                        .untrustedSignature,
                        "the note's signature by \(verifier.keyName)+\(NoteFormat.hexID(verifier.keyID)) does not verify: the text was altered after signing, or the signature is corrupt"
                    )
                }
                if !verified.contains(verifier) { verified.append(verifier) }
            }
        }
        guard !verified.isEmpty else {
            let trusted = verifiers.map { "\($0.keyName)+\(NoteFormat.hexID($0.keyID))" }.joined(separator: ", ")
            let present = signatures.map { "\($0.keyName)+\(NoteFormat.hexID($0.keyID))" }.joined(separator: ", ")
            throw WardenError(
                .untrustedSignature,
                "the note has no signature by a trusted key (trusted: \(trusted.isEmpty ? "none" : trusted); signed by: \(present.isEmpty ? "nobody" : present)); check that you configured the log's verifier key"
            )
        }
        return verified
    }

    // MARK: - Parsing helpers

    /// The index of the first newline of the last "\n\n".
    private static func lastBlankLine(in bytes: [UInt8]) -> Int? {
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
            index -= 1
        }
        return nil
    }

    private static func parseSignatureLine(_ line: String, number: Int) throws -> Signature {
        let prefix = "\u{2014} "
        guard line.hasPrefix(prefix) else {
            throw malformed("signature line \(number) does not start with an em dash (U+2014) and a space")
        }
        let rest = line.dropFirst(prefix.count)
        guard let space = rest.firstIndex(of: " ") else {
            throw malformed("signature line \(number) has no space between the key name and the signature")
        }
        let name = String(rest[..<space])
        let encoded = rest[rest.index(after: space)...]
        do {
            try NoteFormat.checkKeyName(name)
        } catch let error as WardenError {
            throw malformed("signature line \(number): \(error.message)")
        }
        guard let bytes = NoteFormat.decodeBase64(encoded) else {
            throw malformed("signature line \(number) (key \(name)) does not end in canonical base64")
        }
        guard bytes.count > 4 else {
            throw malformed("signature line \(number) (key \(name)) holds \(bytes.count) bytes; a key id and a signature need at least 5")
        }
        let keyID = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Signature(keyName: name, keyID: keyID, signature: Array(bytes[4...]))
    }

    private static func malformed(_ reason: String) -> WardenError {
        WardenError(.malformedSignature, "malformed signed note: \(reason)")
    }
}

/// Rules shared by note texts, key names and signature lines.
enum NoteFormat {
    /// Valid UTF-8 with no control characters other than newline.
    static func checkCharacters(_ bytes: [UInt8], what: String) throws {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw WardenError(.malformedSignature, "malformed signed note: \(what) is not valid UTF-8")
        }
        var line = 1
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                line += 1
            } else if scalar.value < 0x20 {
                throw WardenError(
                    .malformedSignature,
                    "malformed signed note: line \(line) of \(what) holds control character U+\(String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)); only newlines are allowed"
                )
            }
        }
    }

    /// A note text is non-empty, ends in a newline and holds no other control characters.
    static func checkText(_ bytes: [UInt8]) throws {
        guard bytes.last == 0x0A else {
            throw WardenError(.invalidArgument, "a note text must end in a newline; append \"\\n\"")
        }
        do {
            try checkCharacters(bytes, what: "the note text")
        } catch let error as WardenError {
            throw WardenError(.invalidArgument, error.message)
        }
    }

    /// Key names are non-empty and hold no Unicode space and no `+`.
    static func checkKeyName(_ name: String) throws {
        guard !name.isEmpty else {
            throw WardenError(.invalidKey, "a note key name must not be empty; use a schema-less URL such as example.com/log")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "+" || $0.value < 0x20 }) else {
            throw WardenError(.invalidKey, "note key name '\(name)' holds a space, '+' or control character; use a schema-less URL such as example.com/log")
        }
    }

    /// Standard base64 (RFC 4648 §4, padded) that re-encodes to the same text, so each byte string has one encoding.
    static func decodeBase64(_ text: some StringProtocol) -> [UInt8]? {
        let string = String(text)
        guard let data = Data(base64Encoded: string), data.base64EncodedString() == string else { return nil }
        return Array(data)
    }

    static func hexID(_ id: UInt32) -> String {
        String(id, radix: 16).leftPadded(to: 8)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
