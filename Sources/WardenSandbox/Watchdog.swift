import Dispatch
import Foundation
@_spi(Fuzzing) import WasmKit

/// Stops calls at their wall-clock deadlines.
///
/// WasmKit has no interrupt, but a metered store traps as soon as its fuel
/// cannot pay for the next block. At a call's deadline the watchdog sets the
/// call's fuel to zero from its own thread, and again every millisecond until
/// the call returns (the interpreter's own fuel update can overwrite one
/// write). The call then fails like an out-of-fuel call, and `disarm` tells
/// the caller it was the clock.
///
/// One thread serves every call: arming and disarming cost a lock and a
/// dictionary update, and the thread sleeps until the earliest deadline, so a
/// call that finishes in time never wakes it.
final class Watchdog: @unchecked Sendable {
    static let shared = Watchdog()

    private struct Call {
        let deadline: UInt64
        let store: Store
        var fired = false
    }

    private let condition = NSCondition()
    private var calls: [Int: Call] = [:]
    private var nextTicket = 0
    /// When the thread wakes next (nanoseconds of uptime), or nil while it waits for work.
    private var wakeAt: UInt64?
    private var started = false

    /// Starts watching a call that runs in `store`; pass the ticket to `disarm` when it returns.
    func arm(_ store: Store, milliseconds: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
        condition.lock()
        defer { condition.unlock() }
        nextTicket += 1
        calls[nextTicket] = Call(deadline: deadline, store: store)
        if !started {
            started = true
            let thread = Thread { [unowned self] in watch() }
            thread.name = "warden-wasm-watchdog"
            thread.start()
        }
        if wakeAt.map({ deadline < $0 }) ?? true { condition.signal() }
        return nextTicket
    }

    /// The call returned: its store is never touched again.
    /// - Returns: whether its deadline passed first.
    func disarm(_ ticket: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return calls.removeValue(forKey: ticket)?.fired ?? false
    }

    private func watch() {
        condition.lock()
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            var next: UInt64?
            for (ticket, call) in calls {
                if call.deadline <= now {
                    calls[ticket]?.fired = true
                    call.store.fuel = Fuel(remaining: 0)
                    next = min(next ?? .max, now + 1_000_000)
                } else {
                    next = min(next ?? .max, call.deadline)
                }
            }
            wakeAt = next
            if let next {
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(next - now) / 1e9))
            } else {
                condition.wait()
            }
        }
    }
}
