import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh directory under the system temporary folder, removed on `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "warden-test") throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        // The real path (macOS keeps temporary files under a symlink), so paths in error messages
        // compare equal to what the external-data resolver reports.
        guard let real = realpath(base.path, nil) else { throw CocoaError(.fileNoSuchFile) }
        defer { free(real) }
        path = String(cString: real)
    }

    public func url(_ relative: String) -> URL { URL(fileURLWithPath: path).appendingPathComponent(relative) }

    public func file(_ relative: String) -> String { url(relative).path }

    /// Writes `bytes` at `relative`, creating parent directories.
    @discardableResult
    public func write(_ relative: String, _ bytes: some Sequence<UInt8>) throws -> String {
        let target = url(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: target)
        return target.path
    }

    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }

    public func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(at: url(relative), withIntermediateDirectories: true)
    }

    /// Copies the tree at `source` into `relative`.
    @discardableResult
    public func copy(from source: String, to relative: String) throws -> String {
        let target = url(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: target.path)
        return target.path
    }

    /// Makes `relative` a symbolic link to `destination` (absolute, or relative to the link's folder).
    public func symlink(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: file(relative), withDestinationPath: destination)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
