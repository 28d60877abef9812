import WardenIntegrity

/// How a registry judges what it is given.
public struct RegistryConfiguration: Sendable {
    /// Refuse versions without a signature that verifies against `trust`.
    public var requireSignature: Bool
    /// The keys whose signatures the registry accepts; nil when none are configured.
    public var trust: TrustPolicy?
    /// Refuse blob uploads larger than this many bytes.
    public var maximumBlobSize: Int64
    /// Where publishes lay out a version's files to verify and inspect them (inside the data directory).
    public var scratchDirectory: String

    public init(requireSignature: Bool = true, trust: TrustPolicy? = nil, maximumBlobSize: Int64 = 64 << 30, scratchDirectory: String) {
        self.requireSignature = requireSignature
        self.trust = trust
        self.maximumBlobSize = maximumBlobSize
        self.scratchDirectory = scratchDirectory
    }
}
