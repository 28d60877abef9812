import Foundation
import WardenCore

/// API tokens: only their SHA-256 is stored; creating and revoking one is audited.
extension Registry {
    public func createToken(name: String, role: Role, secretHash: Digest, actor: String) async throws -> TokenRecord {
        try await metadata.createToken(name: name, role: role, secretHash: secretHash, actor: actor)
    }

    /// The token whose secret hashes to `secretHash`, revoked or not.
    public func token(secretHash: Digest) async throws -> TokenRecord? {
        try await metadata.token(secretHash: secretHash)
    }

    public func tokens() async throws -> [TokenRecord] {
        try await metadata.tokens()
    }

    /// - Throws: `.notFound`.
    public func revokeToken(id: Int64, actor: String) async throws -> TokenRecord {
        try await metadata.revokeToken(id: id, actor: actor)
    }
}
