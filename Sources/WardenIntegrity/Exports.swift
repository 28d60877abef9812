@_exported import WardenCore

/// Within this module `Digest` is Warden's content digest, not swift-crypto's protocol.
public typealias Digest = WardenCore.Digest
