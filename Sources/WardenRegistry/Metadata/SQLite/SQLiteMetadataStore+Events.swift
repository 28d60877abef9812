import Foundation
import GRDB
import WardenCore

extension SQLiteMetadataStore {
    public func events(after sequence: Int64, limit: Int) async throws -> [RegistryEvent] {
        guard limit > 0 else {
            throw WardenError(.invalidArgument, "a page of events needs a limit of at least 1, not \(limit)")
        }
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

    static func event(_ row: Row) throws -> RegistryEvent {
        let kindName: String = row["kind"]
        guard let kind = RegistryEvent.Kind(rawValue: kindName) else { throw corrupt("events.kind", kindName) }
        return RegistryEvent(
            sequence: row["sequence"],
            kind: kind,
            model: row["model"],
            version: try (row["version"] as String?).map { try decodeVersion($0, column: "events.version") },
            alias: row["alias"],
            actor: row["actor"],
            at: date(row["at"]),
            detailJSON: row["detail"]
        )
    }
}
