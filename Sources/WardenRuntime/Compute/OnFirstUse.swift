import Synchronization
import WardenTensor

/// A value made by the first caller that asks for it, then shared: weights a
/// kernel prepares only once a call shows it needs them (Winograd's transform,
/// a turned-around packing), so layers that never do pay neither time nor memory.
final class OnFirstUse<Value: Sendable>: Sendable {
    private let make: @Sendable () -> Value?
    private let made = Mutex<Value?>(nil)

    init(_ make: @escaping @Sendable () -> Value?) { self.make = make }

    /// Whether the value has been made.
    var isMade: Bool { made.withLock { $0 != nil } }

    /// The value, made now if no call has made it yet; nil when `make` gives nil (tried again next time).
    func value() -> Value? {
        made.withLock { cached in
            if let cached { return cached }
            cached = make()
            return cached
        }
    }
}
