import Foundation
import WardenCore

/// The in-toto Statement v1 an OMS v1.0 signature signs: one subject (the
/// model, named by its root digest) and a predicate listing every resource.
///
/// Parsing validates everything a verifier relies on: statement and predicate
/// types, exactly one subject, the serialization, every resource name, and that
/// the subject digest is the root digest of the listed resources.
public struct ModelSigningStatement: Sendable, Equatable {
    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let predicateType = "https://model_signing/signature/v1.0"

    /// The subject name: the model directory's (or file's) base name.
    public let subjectName: String
    /// The signed manifest, resources in the order the signer listed them.
    public let manifest: Manifest

    public init(subjectName: String, manifest: Manifest) {
        self.subjectName = subjectName
        self.manifest = manifest
    }

    /// The root digest: the subject's digest.
    public var rootDigest: Digest { manifest.rootDigest }

    // MARK: - Encoding

    /// The statement as compact JSON with sorted keys: the DSSE payload.
    public func payload() -> [UInt8] {
        var serialization: [String: Any] = [
            "hash_type": manifest.serialization.hashType,
            "allow_symlinks": manifest.serialization.allowSymlinks,
            "ignore_paths": manifest.serialization.ignorePaths,
        ]
        switch manifest.serialization.method {
        case .files:
            serialization["method"] = "files"
        case .shards(let size):
            serialization["method"] = "shards"
            serialization["shard_size"] = size
        }
        let statement: [String: Any] = [
            "_type": Self.statementType,
            "subject": [["name": subjectName, "digest": ["sha256": rootDigest.hex]]],
            "predicateType": Self.predicateType,
            "predicate": [
                "serialization": serialization,
                "resources": manifest.resources.map {
                    ["name": $0.name, "algorithm": $0.algorithm, "digest": $0.digest.hex]
                },
            ],
        ]
        // Only strings, numbers, booleans, arrays and dictionaries: cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: statement, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }

    // MARK: - Decoding

    /// Parses and validates a DSSE payload.
    /// - Throws: `WardenError` `.malformedSignature` naming the field at fault,
    ///   `.invalidResourceName` for unsafe names, `.digestMismatch` when the
    ///   subject digest is not the root digest of the resources.
    public init(payload: [UInt8]) throws {
        let root = try JSONField.parse(payload, what: "the signed payload (dsseEnvelope.payload)")
        let type = try root.field("_type").string()
        guard type == Self.statementType else {
            throw JSONField.malformed("payload _type is '\(type)'; expected an in-toto Statement v1 (\(Self.statementType))")
        }
        let predicateType = try root.field("predicateType").string()
        guard predicateType == Self.predicateType else {
            throw JSONField.malformed(
                "payload predicateType is '\(predicateType)', which Warden does not know; it verifies OpenSSF Model Signing v1.0 (\(Self.predicateType))"
            )
        }

        let subjects = try root.field("subject").array()
        guard subjects.count == 1 else {
            throw JSONField.malformed("payload has \(subjects.count) subjects; an OMS signature names exactly one model")
        }
        let subject = subjects[0]
        subjectName = try subject.field("name").string()
        let digestField = try subject.field("digest").field("sha256")
        let subjectDigest: Digest
        do {
            subjectDigest = try Digest(hex: digestField.string())
        } catch {
            throw JSONField.malformed("\(digestField.path) is not a SHA-256 hex digest")
        }

        let predicate = try root.field("predicate")
        let serialization = try Self.serialization(predicate.field("serialization"))
        let expectedAlgorithm = serialization.resourceAlgorithm
        var resources: [Manifest.Resource] = []
        var seen = Set<String>()
        for field in try predicate.field("resources").array() {
            let name = try field.field("name").string()
            let algorithm = try field.field("algorithm").string()
            guard algorithm == expectedAlgorithm else {
                throw JSONField.malformed("\(field.path).algorithm is '\(algorithm)'; this serialization uses '\(expectedAlgorithm)'")
            }
            let digestField = try field.field("digest")
            guard let digest = try? Digest(hex: digestField.string()) else {
                throw JSONField.malformed("\(digestField.path) is not a SHA-256 hex digest")
            }
            guard seen.insert(name).inserted else {
                throw JSONField.malformed("\(field.path): resource '\(name)' is listed twice")
            }
            let (path, shard) = try ResourceName.parse(name, method: serialization.method, at: field.path)
            resources.append(.init(path: path, shard: shard, algorithm: algorithm, digest: digest))
        }
        manifest = Manifest(serialization: serialization, listedResources: resources)
        guard manifest.rootDigest == subjectDigest else {
            throw WardenError(
                .digestMismatch,
                "the subject digest \(subjectDigest) is not the root digest of the listed resources (\(manifest.rootDigest)); the signature file was altered or built wrongly"
            )
        }
    }

    private static func serialization(_ field: JSONField) throws -> Manifest.Serialization {
        let method = try field.field("method").string()
        let hashType = try field.optionalField("hash_type")?.string() ?? "sha256"
        guard hashType == "sha256" else {
            throw JSONField.malformed("\(field.path).hash_type is '\(hashType)'; Warden supports sha256")
        }
        let allowSymlinks = try field.optionalField("allow_symlinks")?.bool() ?? false
        let ignorePaths = try field.optionalField("ignore_paths")?.array().map { try $0.string() } ?? []
        switch method {
        case "files":
            return .init(method: .files, hashType: hashType, allowSymlinks: allowSymlinks, ignorePaths: ignorePaths)
        case "shards":
            let sizeField = try field.field("shard_size")
            let size = try sizeField.integer()
            guard size > 0 else { throw JSONField.malformed("\(sizeField.path) must be positive, got \(size)") }
            return .init(method: .shards(size: size), hashType: hashType, allowSymlinks: allowSymlinks, ignorePaths: ignorePaths)
        default:
            throw JSONField.malformed("\(field.path).method is '\(method)'; Warden knows 'files' and 'shards'")
        }
    }
}
