import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func events(after sequence: Int64, limit: Int) async throws -> [RegistryEvent] {
        if let error = Self.pageLimit(limit, of: "a page of events") { throw error }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit]
            ).map(Self.event)
        }
    }

    public func latestEventSequence() async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM events") ?? 0
        }
    }
}
