import Foundation
import PostgresNIO
import WardenCore

extension PostgresMetadataStore {
    public func events(after sequence: Int64, limit: Int) async throws -> [RegistryEvent] {
        if let error = Self.pageLimit(limit, of: "a page of events") { throw error }
        return try await read { session in
            try await session.rows("SELECT * FROM events WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)").map(Self.event)
        }
    }

    public func latestEventSequence() async throws -> Int64 {
        // The events table, not log_head: a reader sees only committed events, and so their highest sequence.
        try await read { session in
            try await session.one("SELECT COALESCE(MAX(sequence), 0) AS latest FROM events").integer("latest")
        }
    }
}
