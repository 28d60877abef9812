import WardenTensor
/// The buffers of one call's planned intermediate values (see `MemoryPlan`):
/// one per slot, reused by every value planned in the slot and by later calls.
///
/// An arena serves one `run` at a time (the executor keeps a pool), so it takes
/// no lock; `@unchecked Sendable` lets kernels carry it in their context into
/// parallel loops, which never touch it.
final class Arena: @unchecked Sendable {
    private var buffers: [[Float]]

    init(slots: Int) {
        buffers = Array(repeating: [], count: slots)
    }

    /// The bytes the arena holds.
    var bytes: Int { buffers.reduce(0) { $0 + $1.capacity * MemoryLayout<Float>.stride } }

    /// Where each slot's buffer is (0 when empty), to check that calls reuse them.
    var addresses: [UInt] { buffers.map { $0.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } } }

    /// The slot's buffer with `count` elements, taken out of the arena until `give` returns it.
    /// Its contents are whatever the last value left there, or zero when `zeroed`.
    func take(_ slot: Int, count: Int, zeroed: Bool) -> [Float] {
        var buffer: [Float] = []
        swap(&buffer, &buffers[slot])
        guard buffer.capacity >= count else {
            return zeroed ? [Float](repeating: 0, count: count) : [Float](unsafeUninitializedCapacity: count) { $1 = count }
        }
        if buffer.count > count { buffer.removeLast(buffer.count - count) }
        if zeroed { buffer.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        if buffer.count < count { buffer.append(contentsOf: repeatElement(0, count: count - buffer.count)) }
        return buffer
    }

    /// Puts a value's buffer back in its slot once nothing reads the value any more; the larger one is kept.
    func give(_ slot: Int, _ buffer: [Float]) {
        if buffer.capacity >= buffers[slot].capacity { buffers[slot] = buffer }
    }
}
