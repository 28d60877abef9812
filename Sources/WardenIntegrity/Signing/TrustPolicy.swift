import Foundation
import WardenCore

/// Which keys may sign, and how many distinct ones must have signed.
///
/// A trust directory holds one `*.pub` SubjectPublicKeyInfo PEM per key; the
/// registry reads the same format.
public struct TrustPolicy: Sendable {
    /// The trusted keys, one per key id.
    public let keys: [VerifyingKey]
    /// Distinct trusted keys whose signatures a model needs.
    public let threshold: Int

    /// - Throws: `.invalidArgument` when there is no key or the threshold cannot be met.
    public init(keys: [VerifyingKey], threshold: Int = 1) throws {
        var seen = Set<String>()
        self.keys = keys.filter { seen.insert($0.keyID).inserted }
        guard !self.keys.isEmpty else {
            throw WardenError(.invalidArgument, "no trusted key was given; pass --key PUB or --trust DIR")
        }
        guard threshold >= 1 else {
            throw WardenError(.invalidArgument, "the threshold must be at least 1, got \(threshold)")
        }
        guard threshold <= self.keys.count else {
            throw WardenError(
                .invalidArgument,
                "the threshold of \(threshold) signers can never be met with \(self.keys.count) distinct trusted key(s); trust more keys or lower --threshold"
            )
        }
        self.threshold = threshold
    }

    /// Loads every `*.pub` file in `directory`.
    public init(directory: String, threshold: Int = 1) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WardenError(.pathNotFound, "trust directory '\(directory)' does not exist; create it and put the signers' .pub files in it")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pub") }.sorted()
        } catch {
            throw WardenError(.unreadableFile, "cannot list trust directory '\(directory)'", cause: error)
        }
        guard !names.isEmpty else {
            throw WardenError(.invalidArgument, "trust directory '\(directory)' holds no *.pub files; copy the signers' public keys into it")
        }
        let keys = try names.map { try VerifyingKey(contentsOf: (directory as NSString).appendingPathComponent($0)) }
        try self.init(keys: keys, threshold: threshold)
    }
}
