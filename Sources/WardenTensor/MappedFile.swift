import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory, unmapped when the last reference goes.
///
/// The pages are the file's: the kernel reads them in on first touch, may drop
/// them again under memory pressure, and shares them with every process that
/// maps the same file. The file must not be truncated or rewritten while it is
/// mapped (a read past a truncation is a bus error); the registry's blobs are
/// written once and never changed in place.
package final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is read-only.
    package let path: String
    package let count: Int
    private let base: UnsafeRawPointer?

    /// - Throws: `.unreadableFile` when the file cannot be opened or mapped.
    package init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WardenError(.unreadableFile, "cannot open external data '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WardenError(.unreadableFile, "cannot read the size of external data '\(path)': \(String(cString: strerror(errno)))")
        }
        count = Int(info.st_size)
        guard count > 0 else {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw WardenError(.unreadableFile, "cannot map external data '\(path)' (\(count) bytes): \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(address)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// `length` bytes from `offset`, which the caller has checked lie within the file.
    package func bytes(offset: Int, length: Int) -> UnsafeRawBufferPointer {
        guard let base, length > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }

    /// The bytes as `Data` without copying them; the `Data` keeps the mapping alive.
    package func data(offset: Int, length: Int) -> Data {
        let range = bytes(offset: offset, length: length)
        guard let start = range.baseAddress else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: start), count: length, deallocator: .custom { [self] _, _ in withExtendedLifetime(self) {} })
    }
}

/// float32 values read in place from a mapped external-data file: a model's
/// weights that are never copied onto the heap.
public struct MappedFloats: Sendable, Equatable {
    package let file: MappedFile
    /// Where the values start in the file, in bytes; a multiple of 4.
    package let offset: Int
    public let count: Int

    /// `count` float32 values at `offset` (a multiple of 4) in `file`, which the caller has
    /// checked hold them.
    package init(file: MappedFile, offset: Int, count: Int) {
        self.file = file
        self.offset = offset
        self.count = count
    }

    /// The values in place. Valid only inside `body`.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(file.bytes(offset: offset, length: count * 4).bindMemory(to: Float.self))
    }

    /// A copy of the values on the heap.
    public var values: [Float] { withUnsafeBufferPointer { Array($0) } }

    public static func == (left: MappedFloats, right: MappedFloats) -> Bool {
        left.count == right.count && left.withUnsafeBufferPointer { a in right.withUnsafeBufferPointer { b in a.elementsEqual(b) } }
    }
}
