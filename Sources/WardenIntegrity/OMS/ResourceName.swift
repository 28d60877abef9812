import Foundation
import WardenCore

/// Checks resource names from untrusted signatures before they are ever
/// joined to a path: no escaping the model directory, no ambiguity.
public enum ResourceName {
    /// Validates a relative POSIX path.
    /// - Throws: `.invalidResourceName` for empty, absolute, `..`, `.`, backslash or NUL names.
    public static func validatePath(_ path: String, at location: String) throws {
        func reject(_ why: String) -> WardenError {
            WardenError(.invalidResourceName, "\(location): resource name '\(printable(path))' \(why); the signature is unsafe to use")
        }
        if path.isEmpty { throw reject("is empty") }
        if path.utf8.contains(0) { throw reject("contains a NUL byte") }
        if path.contains("\\") { throw reject("contains a backslash; names are POSIX paths") }
        if path.hasPrefix("/") { throw reject("is an absolute path") }
        // A single-file model's one resource is the file itself.
        if path == "." { return }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "..": throw reject("contains '..'")
            case ".": throw reject("contains a '.' component")
            case "": throw reject("contains an empty path component")
            default: continue
            }
        }
    }

    /// Splits `path:start:end` (shards) or checks `path` (files).
    public static func parse(_ name: String, method: Manifest.Serialization.Method, at location: String) throws -> (String, Range<Int64>?) {
        switch method {
        case .files:
            try validatePath(name, at: location)
            return (name, nil)
        case .shards(let size):
            let parts = name.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 3,
                let start = Int64(parts[parts.count - 2]), let end = Int64(parts[parts.count - 1]),
                start >= 0, start < end, end - start <= size, start % size == 0
            else {
                throw WardenError(
                    .invalidResourceName,
                    "\(location): shard name '\(printable(name))' is not 'path:start:end' with 0 <= start < end and shards of at most \(size) bytes"
                )
            }
            let path = parts.dropLast(2).joined(separator: ":")
            try validatePath(path, at: location)
            return (path, start..<end)
        }
    }

    private static func printable(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{0}", with: "\\0")
    }
}
