import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func createToken(name: String, role: Role, secretHash: Digest, actor: String) async throws -> TokenRecord {
        let now = Self.now()
        return try await write { db in
            let taken = try Bool.fetchOne(db, sql: "SELECT 1 FROM tokens WHERE secret_hash = ?", arguments: [secretHash.description]) ?? false
            if taken {
                throw Self.tokenSecretTaken(name)
            }
            try db.execute(
                sql: "INSERT INTO tokens (name, role, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, role.description, secretHash.description, Self.millis(now), actor]
            )
            let id = db.lastInsertedRowID
            // The event never carries the hash: the log is readable by more people than the token table.
            try self.appendEvent(
                db, .tokenCreated, model: nil, actor: actor, at: now, detail: ["id": id, "name": name, "role": role.description]
            )
            return TokenRecord(id: id, name: name, role: role, secretHash: secretHash, createdAt: now, createdBy: actor)
        }
    }

    public func token(secretHash: Digest) async throws -> TokenRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE secret_hash = ?", arguments: [secretHash.description]).map(Self.tokenRecord)
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY id").map(Self.tokenRecord)
        }
    }

    public func revokeToken(id: Int64, actor: String) async throws -> TokenRecord {
        let now = Self.now()
        return try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM tokens WHERE id = ?", arguments: [id]) else {
                throw Self.unknownToken(id)
            }
            var token = try Self.tokenRecord(row)
            if token.isRevoked { return token }
            try db.execute(sql: "UPDATE tokens SET revoked_at = ? WHERE id = ?", arguments: [Self.millis(now), id])
            token.revokedAt = now
            try self.appendEvent(db, .tokenRevoked, model: nil, actor: actor, at: now, detail: ["id": id, "name": token.name])
            return token
        }
    }
}
