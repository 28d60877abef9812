import Crypto
import WardenCore

/// The digests of every part of a model and how they were computed: the
/// thing a signature covers. Its `rootDigest` is the model version's identity
/// (the OMS subject digest).
public struct Manifest: Sendable, Equatable {
    /// How the model was cut into resources, as recorded in an OMS signature.
    public struct Serialization: Sendable, Equatable {
        public enum Method: Sendable, Equatable {
            /// One resource per file.
            case files
            /// Each file cut into shards of `size` bytes (the last may be short).
            case shards(size: Int64)
        }

        public var method: Method
        /// The per-resource hash; OMS v1.0 and Warden use `sha256`.
        public var hashType: String
        public var allowSymlinks: Bool
        /// Paths left out of the hash, relative to the model root, as recorded.
        public var ignorePaths: [String]

        public init(method: Method = .files, hashType: String = "sha256", allowSymlinks: Bool = false, ignorePaths: [String] = []) {
            self.method = method
            self.hashType = hashType
            self.allowSymlinks = allowSymlinks
            self.ignorePaths = ignorePaths
        }

        /// OMS's default shard size: 1,000,000,000 bytes.
        public static let defaultShardSize: Int64 = 1_000_000_000

        /// The `algorithm` string each resource carries under this serialization.
        public var resourceAlgorithm: String {
            switch method {
            case .files: hashType
            case .shards(let size): "\(hashType)-sharded-\(size)"
            }
        }
    }

    /// One hashed part of the model: a whole file, or one shard of a file.
    public struct Resource: Sendable, Hashable {
        /// The relative POSIX path of the file.
        public let path: String
        /// The byte range, for shards; nil for whole files.
        public let shard: Range<Int64>?
        public let algorithm: String
        public let digest: Digest

        public init(path: String, shard: Range<Int64>? = nil, algorithm: String, digest: Digest) {
            self.path = path
            self.shard = shard
            self.algorithm = algorithm
            self.digest = digest
        }

        /// The resource's OMS name: `path` for files, `path:start:end` for shards.
        public var name: String {
            guard let shard else { return path }
            return "\(path):\(shard.lowerBound):\(shard.upperBound)"
        }
    }

    public let serialization: Serialization
    /// Resources in the order they are listed (and the root digest is computed in).
    public let resources: [Resource]

    /// Builds a manifest, listing `resources` in OMS order.
    public init(serialization: Serialization, resources: [Resource]) {
        self.serialization = serialization
        self.resources = resources.sorted(by: ResourceOrder.precedes)
    }

    /// Wraps resources exactly in the order given (used for signed manifests,
    /// whose root digest is computed over the signer's order).
    init(serialization: Serialization, listedResources: [Resource]) {
        self.serialization = serialization
        self.resources = listedResources
    }

    /// SHA-256 over the concatenated raw digests of the resources, in listed order.
    public var rootDigest: Digest {
        var hasher = SHA256()
        for resource in resources {
            hasher.update(data: resource.digest.bytes)
        }
        return Digest(hasher.finalize())
    }

    /// Total number of distinct files covered.
    public var fileCount: Int { Set(resources.map(\.path)).count }
}
