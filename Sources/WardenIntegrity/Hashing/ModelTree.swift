import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The regular files of a model, found by walking its directory (or the one
/// file it is), with ignore rules and the symlink policy applied.
///
/// A model is either a directory, whose files are named by their POSIX path
/// relative to it, or a single file, named `.` (its path relative to itself,
/// as `model_signing` names it, so single-file signatures interoperate).
public struct ModelTree: Sendable {
    /// One regular file of the model.
    public struct File: Sendable, Hashable {
        /// POSIX path relative to the model root (`weights/part-1.bin`).
        public let name: String
        /// Absolute path to read the bytes from (a symlink's target when symlinks are allowed).
        public let path: String
        public let size: Int64
    }

    /// The path the tree was built from, standardized.
    public let root: String
    /// Whether `root` is a directory (false: a single-file model).
    public let isDirectory: Bool
    /// Files in OMS order (see `ResourceOrder`).
    public let files: [File]

    /// Paths OMS leaves out of every model by default.
    public static let defaultIgnoredNames: [String] = [".git", ".gitattributes", ".github", ".gitignore"]

    /// Walks `path`.
    ///
    /// - Parameters:
    ///   - path: a model directory or a single model file.
    ///   - ignoring: paths to leave out, each either relative to the model root
    ///     or absolute (and then only applied when it lies inside the root).
    ///   - allowSymlinks: follow symlinks whose target stays inside the model;
    ///     without it any symlink is an error.
    /// - Throws: `WardenError` for a missing path, an empty model, a refused or
    ///   escaping symlink, an unreadable directory or a special file.
    public init(path: String, ignoring: [String] = [], allowSymlinks: Bool = false) throws {
        let root = URL(fileURLWithPath: path).standardizedFileURL.path
        var info = stat()
        guard lstat(root, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR {
                throw WardenError(.pathNotFound, "'\(path)' does not exist; pass the model's directory or file")
            }
            throw WardenError(.unreadableFile, "cannot read '\(path)': \(String(cString: strerror(errno)))")
        }
        self.root = root
        let kind = info.st_mode & S_IFMT
        if kind == S_IFLNK {
            throw WardenError(.symlinkRefused, "'\(path)' is a symlink; pass the real model path instead")
        }

        if kind == S_IFREG {
            isDirectory = false
            files = [File(name: ".", path: root, size: Int64(info.st_size))]
            return
        }
        guard kind == S_IFDIR else {
            throw WardenError(.unsupportedFileType, "'\(path)' is neither a regular file nor a directory")
        }
        isDirectory = true

        let ignored = Set(Self.defaultIgnoredNames).union(
            ignoring.compactMap { Self.relativeIgnorePath($0, root: root) }
        )
        var walker = Walker(root: root, ignored: ignored, allowSymlinks: allowSymlinks)
        try walker.walk(relative: "")
        guard !walker.files.isEmpty else {
            throw WardenError(
                .emptyModel,
                "'\(path)' holds no files to hash (after ignoring \(ignored.sorted().joined(separator: ", "))); point at a directory with model files"
            )
        }
        files = walker.files.sorted { ResourceOrder.precedes($0.name, $1.name) }
    }

    /// Total bytes across all files.
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }

    /// An ignore entry as a path relative to `root` (the form a signature
    /// records), or nil when an absolute entry lies outside the model.
    public static func relativeIgnorePath(_ entry: String, root: String) -> String? {
        guard entry.hasPrefix("/") else {
            let trimmed = entry.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
            return trimmed.isEmpty ? nil : trimmed
        }
        let absolute = URL(fileURLWithPath: entry).standardizedFileURL.path
        guard absolute.hasPrefix(root + "/") else { return nil }
        return String(absolute.dropFirst(root.count + 1))
    }
}

/// Depth-first walk with `lstat`, so symlinks are seen as symlinks.
private struct Walker {
    let root: String
    let ignored: Set<String>
    let allowSymlinks: Bool
    var files: [ModelTree.File] = []

    mutating func walk(relative: String) throws {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw WardenError(
                .unreadableFile,
                "cannot list directory '\(directory)'; check its permissions",
                cause: error
            )
        }
        for entry in entries {
            let name = relative.isEmpty ? entry : relative + "/" + entry
            if ignored.contains(name) { continue }
            let full = root + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else {
                throw WardenError(.unreadableFile, "cannot stat '\(full)': \(String(cString: strerror(errno)))")
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG:
                files.append(.init(name: name, path: full, size: Int64(info.st_size)))
            case S_IFDIR:
                try walk(relative: name)
            case S_IFLNK:
                try followSymlink(name: name, full: full)
            default:
                throw WardenError(
                    .unsupportedFileType,
                    "'\(name)' is not a regular file, directory or symlink; remove it or add it to --ignore-paths"
                )
            }
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private mutating func followSymlink(name: String, full: String) throws {
        guard allowSymlinks else {
            throw WardenError(
                .symlinkRefused,
                "'\(name)' is a symlink; symlinks are refused unless you pass --allow-symlinks"
            )
        }
        guard let resolved = realpath(full, nil) else {
            throw WardenError(.unreadableFile, "symlink '\(name)' is dangling: \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        let target = String(cString: resolved)
        let realRoot = Self.realPath(root) ?? root
        guard target.hasPrefix(realRoot + "/") else {
            throw WardenError(
                .symlinkEscapes,
                "symlink '\(name)' points to '\(target)', outside the model directory; copy the file into the model instead"
            )
        }
        var info = stat()
        guard stat(target, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw WardenError(
                .unsupportedFileType,
                "symlink '\(name)' does not point to a regular file; only file symlinks are followed"
            )
        }
        files.append(.init(name: name, path: target, size: Int64(info.st_size)))
    }
}
