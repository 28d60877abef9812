import Foundation
import WardenCore
import WardenTensor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the bytes of tensors stored outside the `.onnx` file.
///
/// Locations must stay inside the model directory: no `..`, no absolute
/// paths, no symlink that leads out. Offset and length must lie within the
/// file. Each file is memory-mapped once and shared by every tensor in it.
public final class ExternalDataResolver: @unchecked Sendable {
    // `mapped` is only touched under `lock`.
    private let directory: String
    private let realDirectory: String
    private let lock = NSLock()
    private var mapped: [String: MappedFile] = [:]

    public init(directory: String) {
        self.directory = directory
        self.realDirectory = Self.realPath(directory) ?? directory
    }

    /// Where a tensor's external bytes are.
    public struct Reference: Sendable, Hashable {
        public let location: String
        public let offset: Int
        public let length: Int?
    }

    /// Reads the `external_data` entries of `tensor`.
    public static func reference(of tensor: Onnx_TensorProto) throws -> Reference {
        var location: String?
        var offset = 0
        var length: Int?
        for entry in tensor.externalData {
            switch entry.key {
            case "location": location = entry.value
            case "offset":
                guard let value = Int(entry.value), value >= 0 else {
                    throw refused(tensor, "has offset '\(entry.value)', which is not a non-negative integer")
                }
                offset = value
            case "length":
                guard let value = Int(entry.value), value >= 0 else {
                    throw refused(tensor, "has length '\(entry.value)', which is not a non-negative integer")
                }
                length = value
            default: continue
            }
        }
        guard let location, !location.isEmpty else { throw refused(tensor, "is stored externally but names no location") }
        return Reference(location: location, offset: offset, length: length)
    }

    /// A validated external range: a real file inside the model directory and a range within it.
    public struct Resolved: Sendable, Hashable {
        public let path: String
        public let offset: Int
        public let length: Int
    }

    /// Checks where `tensor`'s bytes are without reading them.
    /// - Throws: `.externalDataRefused` for a location outside the model directory, a missing
    ///   file, or a range past the file's end.
    public func resolve(_ tensor: Onnx_TensorProto) throws -> Resolved {
        let reference = try Self.reference(of: tensor)
        try Self.checkLocation(reference.location, tensor: tensor)
        let full = (directory as NSString).appendingPathComponent(reference.location)
        guard let real = Self.realPath(full) else {
            throw Self.refused(tensor, "points to '\(reference.location)', which does not exist beside the model; copy the data file next to the .onnx file")
        }
        if real == realDirectory {
            throw Self.refused(tensor, "points to '\(reference.location)', which is the model directory itself; name the data file")
        }
        guard real.hasPrefix(realDirectory + "/") else {
            throw Self.refused(tensor, "points to '\(reference.location)', which leads outside the model directory (to '\(real)')")
        }
        var info = stat()
        guard stat(real, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw Self.refused(tensor, "points to '\(reference.location)', which is not a regular file")
        }
        let size = Int(info.st_size)
        let length = reference.length ?? (size - reference.offset)
        guard reference.offset <= size, length >= 0, length <= size - reference.offset else {
            throw Self.refused(
                tensor,
                "reads \(reference.length.map { "\($0) bytes" } ?? "the rest") from offset \(reference.offset) of '\(reference.location)', which has only \(size) bytes; the data file is truncated or does not belong to this model"
            )
        }
        return Resolved(path: real, offset: reference.offset, length: length)
    }

    /// The tensor's external bytes: a slice of the mapped file (not a copy;
    /// indices start at 0). For executing models.
    public func bytes(of tensor: Onnx_TensorProto) throws -> Data {
        let (file, resolved) = try map(tensor)
        return file.data(offset: resolved.offset, length: resolved.length)
    }

    /// The float32 tensor's values in place in the mapped file, or nil when they cannot be
    /// read in place (an offset that is not a multiple of 4, or a big-endian CPU) and must be copied.
    package func mappedFloats(of tensor: Onnx_TensorProto) throws -> MappedFloats? {
        #if _endian(little)
        let (file, resolved) = try map(tensor)
        guard resolved.offset % MemoryLayout<Float>.alignment == 0, resolved.length % 4 == 0 else { return nil }
        return MappedFloats(file: file, offset: resolved.offset, count: resolved.length / 4)
        #else
        return nil
        #endif
    }

    /// The file holding the tensor's bytes, mapped once and shared by every tensor in it.
    private func map(_ tensor: Onnx_TensorProto) throws -> (MappedFile, Resolved) {
        let resolved = try resolve(tensor)
        let file: MappedFile = try lock.withLock {
            if let file = mapped[resolved.path] { return file }
            let file = try MappedFile(path: resolved.path)
            mapped[resolved.path] = file
            return file
        }
        // `resolve` checked the range against the size it saw; the file may have changed since it was mapped.
        guard resolved.offset + resolved.length <= file.count else {
            throw Self.refused(tensor, "reads \(resolved.length) bytes from offset \(resolved.offset) of '\(resolved.path)', which now has only \(file.count) bytes; the data file changed while the model was loading")
        }
        return (file, resolved)
    }

    /// Drops the resolver's own references to its mapped files: a file stays mapped
    /// only while a tensor reads from it, and is mapped again if asked for later.
    package func forgetMappings() {
        lock.withLock { mapped.removeAll() }
    }

    /// Streams the tensor's external bytes through `body` in chunks of at most
    /// `chunkSize`, reading each byte once and holding only one chunk. For hashing.
    public func forEachChunk(of tensor: Onnx_TensorProto, chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        let resolved = try resolve(tensor)
        let fd = open(resolved.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WardenError(.unreadableFile, "cannot open external data '\(resolved.path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(4096, chunkSize), alignment: 64)
        defer { buffer.deallocate() }
        var offset = resolved.offset
        let end = resolved.offset + resolved.length
        while offset < end {
            let got = pread(fd, buffer.baseAddress, min(buffer.count, end - offset), off_t(offset))
            if got < 0, errno == EINTR { continue }
            guard got > 0 else {
                throw WardenError(.unreadableFile, "external data '\(resolved.path)' ended early while reading tensor '\(tensor.name)'")
            }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += got
        }
    }

    package static func checkLocation(_ location: String, tensor: Onnx_TensorProto) throws {
        if location.hasPrefix("/") { throw refused(tensor, "points to the absolute path '\(location)'; locations must be relative to the model") }
        if location.contains("\\") { throw refused(tensor, "points to '\(location)', which contains a backslash") }
        if location.utf8.contains(0) { throw refused(tensor, "points to a location containing a NUL byte") }
        if location.split(separator: "/").contains("..") {
            throw refused(tensor, "points to '\(location)', which uses '..' to leave the model directory")
        }
    }

    package static func refused(_ tensor: Onnx_TensorProto, _ why: String) -> WardenError {
        WardenError(.externalDataRefused, "tensor '\(tensor.name)' \(why)")
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
