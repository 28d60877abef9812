import Dispatch
import Foundation
@_spi(Fuzzing) import WasmKit

/// Stops a call at its wall-clock deadline.
///
/// WasmKit has no interrupt, but a metered store traps as soon as its fuel
/// cannot pay for the next block. At the deadline the watchdog sets the
/// call's fuel to zero from another thread, and again every millisecond until
/// the call returns (the interpreter's own fuel update can overwrite one
/// write). The call then fails like an out-of-fuel call, and `fired` tells the
/// caller it was the clock.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var store: Store?
    private var item: DispatchWorkItem?
    private var didFire = false

    init(store: Store, milliseconds: Int) {
        self.store = store
        schedule(after: .milliseconds(milliseconds))
    }

    /// Whether the deadline passed before the call returned.
    var fired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return didFire
    }

    /// The call returned: never touch its store again.
    func disarm() {
        lock.lock()
        store = nil
        item?.cancel()
        item = nil
        lock.unlock()
    }

    private func schedule(after delay: DispatchTimeInterval) {
        let item = DispatchWorkItem { [weak self] in self?.fire() }
        self.item = item
        DispatchQueue.global().asyncAfter(deadline: .now() + delay, execute: item)
    }

    private func fire() {
        lock.lock()
        defer { lock.unlock() }
        guard let store else { return }
        didFire = true
        store.fuel = Fuel(remaining: 0)
        schedule(after: .milliseconds(1))
    }
}
