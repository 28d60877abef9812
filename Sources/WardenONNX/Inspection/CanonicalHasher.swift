import Crypto
import WardenCore

/// SHA-256 over a self-delimiting encoding: every value carries its kind and
/// length, so no two different sequences of values hash the same bytes.
package struct CanonicalHasher {
    private var hasher = SHA256()

    package mutating func tag(_ text: StaticString) {
        hasher.update(data: [0x01])
        text.withUTF8Buffer { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        hasher.update(data: [0x00])
    }

    package mutating func int(_ value: Int64) {
        hasher.update(data: [0x02])
        withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
    }

    package mutating func int(_ value: Int) { int(Int64(value)) }

    package mutating func string(_ value: String) {
        bytesHeader(value.utf8.count)
        hasher.update(data: Array(value.utf8))
    }

    /// Starts a byte string of `count` bytes, to be fed with `raw(_:)`.
    package mutating func bytesHeader(_ count: Int) {
        hasher.update(data: [0x03])
        withUnsafeBytes(of: Int64(count).littleEndian) { hasher.update(bufferPointer: $0) }
    }

    package mutating func raw(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    package func finalize() -> WardenCore.Digest {
        Digest(hasher.finalize())
    }
}
