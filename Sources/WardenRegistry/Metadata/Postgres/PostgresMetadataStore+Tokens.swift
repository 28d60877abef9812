import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    public func createToken(name: String, role: Role, secretHash: Digest, actor: String) async throws -> TokenRecord {
        let now = Self.now()
        return try await write { session in
            if try await session.first("SELECT 1 AS taken FROM tokens WHERE secret_hash = \(secretHash.description)") != nil {
                throw Self.tokenSecretTaken(name)
            }
            let id = try await session.one("""
                INSERT INTO tokens (name, role, secret_hash, created_at, created_by)
                VALUES (\(name), \(role.description), \(secretHash.description), \(Self.millis(now)), \(actor))
                RETURNING id
                """).integer("id")
            // The event never carries the hash: the log is readable by more people than the token table.
            try await self.appendEvent(
                session, .tokenCreated, model: nil, actor: actor, at: now, detail: ["id": id, "name": name, "role": role.description]
            )
            return TokenRecord(id: id, name: name, role: role, secretHash: secretHash, createdAt: now, createdBy: actor)
        }
    }

    public func token(secretHash: Digest) async throws -> TokenRecord? {
        try await read { session in
            try await session.first("SELECT * FROM tokens WHERE secret_hash = \(secretHash.description)").map(Self.tokenRecord)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await read { session in try await session.rows("SELECT * FROM tokens ORDER BY id").map(Self.tokenRecord) }
    }

    public func revokeToken(id: Int64, actor: String) async throws -> TokenRecord {
        let now = Self.now()
        return try await write { session in
            guard let row = try await session.first("SELECT * FROM tokens WHERE id = \(id)") else { throw Self.unknownToken(id) }
            var token = try Self.tokenRecord(row)
            if token.isRevoked { return token }
            try await session.execute("UPDATE tokens SET revoked_at = \(Self.millis(now)) WHERE id = \(id)")
            token.revokedAt = now
            try await self.appendEvent(session, .tokenRevoked, model: nil, actor: actor, at: now, detail: ["id": id, "name": token.name])
            return token
        }
    }
}
