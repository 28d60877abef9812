import Foundation
import Logging
import PostgresNIO

/// One leased connection, in or out of a transaction, with the few ways the store queries it.
/// Every value reaches the server as a bound parameter: queries are `PostgresQuery`
/// interpolations, never text pasted together from input.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement and drains its rows.
    func execute(_ query: PostgresQuery) async throws {
        for try await _ in try await connection.query(query, logger: logger) {}
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) {
            rows.append(row.makeRandomAccess())
        }
        return rows
    }

    func first(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// The one row a statement always returns (an aggregate, `RETURNING` on a row that exists).
    func one(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow {
        guard let row = try await first(query) else {
            throw MetadataRowError.missing("the result of \(query.sql.prefix(60))")
        }
        return row
    }
}

/// postgres-nio's rows read by the stores' shared row-to-record mapping.
extension PostgresRandomAccessRow: MetadataRow {
    func optionalText(_ column: String) throws -> String? {
        try decode(column, String?.self)
    }

    func optionalInteger(_ column: String) throws -> Int64? {
        try decode(column, Int64?.self)
    }

    func flag(_ column: String) throws -> Bool {
        guard let value = try decode(column, Bool?.self) else { throw MetadataRowError.missing(column) }
        return value
    }

    private func decode<Value: PostgresDecodable>(_ column: String, _ type: Value.Type) throws -> Value {
        guard contains(column) else { throw MetadataRowError.missing(column) }
        do {
            return try self[column].decode(Value.self)
        } catch {
            throw MetadataRowError.unreadable(column, error)
        }
    }
}
