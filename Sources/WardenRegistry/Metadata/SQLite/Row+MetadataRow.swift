import Foundation
import GRDB

/// GRDB's rows read by the stores' shared row-to-record mapping.
extension Row: MetadataRow {
    func optionalText(_ column: String) throws -> String? {
        try value(column, as: String.self)
    }

    func optionalInteger(_ column: String) throws -> Int64? {
        try value(column, as: Int64.self)
    }

    func flag(_ column: String) throws -> Bool {
        guard let value = try value(column, as: Bool.self) else { throw MetadataRowError.missing(column) }
        return value
    }

    /// The column's value, nil for NULL; a value of another type is a damaged database, not a crash.
    private func value<Value: DatabaseValueConvertible>(_ column: String, as type: Value.Type) throws -> Value? {
        let stored: DatabaseValue = self[column]
        if stored.isNull { return nil }
        guard let value = Value.fromDatabaseValue(stored) else {
            throw MetadataRowError.unreadable(column, WardenRowTypeMismatch(column: column, stored: stored.description))
        }
        return value
    }
}

/// A column whose value is not of the type the schema gives it.
struct WardenRowTypeMismatch: Error, CustomStringConvertible {
    let column: String
    let stored: String
    var description: String { "column \(column) holds \(stored)" }
}
