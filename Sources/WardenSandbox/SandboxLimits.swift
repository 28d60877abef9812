import WardenCore

/// What one call into a module may use: an instruction budget, linear memory,
/// and wall-clock time. A model card sets them in its `sandbox` mapping; the
/// server's caps bound what a card may ask for.
public struct SandboxLimits: Sendable, Hashable, CustomStringConvertible {
    /// Fuel per call: about one unit per WebAssembly operator executed.
    public var fuel: UInt64
    /// 64 KiB pages of linear memory a module may have.
    public var maxMemoryPages: Int
    /// Wall-clock time per call, in milliseconds.
    public var timeoutMilliseconds: Int
    /// Keep instances between calls, restoring their memory after each (the default), or
    /// instantiate afresh for every call. Not a limit but the instance policy; docs/wasm-abi.md
    /// says what each costs and when to turn reuse off.
    public var reuseInstances = true

    public static let defaults = SandboxLimits(fuel: 100_000_000, maxMemoryPages: 256, timeoutMilliseconds: 1000)
    /// The server-wide caps when `warden serve` is given none.
    public static let defaultCaps = SandboxLimits(fuel: 10_000_000_000, maxMemoryPages: 4096, timeoutMilliseconds: 10_000)
    /// The keys of a card's `sandbox` mapping.
    public static let cardKeys = ["fuel", "max_memory_pages", "timeout_ms", "reuse_instances"]

    public init(fuel: UInt64, maxMemoryPages: Int, timeoutMilliseconds: Int) {
        self.fuel = fuel
        self.maxMemoryPages = maxMemoryPages
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    public var description: String {
        "fuel \(fuel), max_memory_pages \(maxMemoryPages), timeout_ms \(timeoutMilliseconds), reuse_instances \(reuseInstances)"
    }

    /// The limits a card's `sandbox` mapping sets (each key falls back to the default),
    /// checked against `caps`.
    /// - Parameter values: the mapping's whole numbers by key (`reuse_instances` as 0 or 1); nil when the card has none.
    /// - Throws: `.invalidCard` for an unknown key, a value out of range, or one above its cap.
    public init(card values: [String: Int]?, caps: SandboxLimits) throws {
        self = Self.defaults
        func fail(_ key: String, _ why: String) -> WardenError {
            WardenError(.invalidCard, "warden.yaml: sandbox.\(key): \(why)")
        }
        for (key, value) in values ?? [:] {
            switch key {
            case "fuel":
                guard value >= 1 else { throw fail(key, "must be at least 1") }
                fuel = UInt64(value)
            case "max_memory_pages":
                guard (1...65536).contains(value) else { throw fail(key, "must be between 1 and 65536 (64 KiB pages)") }
                maxMemoryPages = value
            case "timeout_ms":
                guard value >= 1 else { throw fail(key, "must be at least 1 ms") }
                timeoutMilliseconds = value
            case "reuse_instances":
                guard value == 0 || value == 1 else { throw fail(key, "must be true or false") }
                reuseInstances = value == 1
            default:
                throw fail(key, "unknown limit; the limits are \(Self.cardKeys.joined(separator: ", "))")
            }
        }
        // Defaults never exceed a cap: a server with low caps lowers them.
        let asked = values ?? [:]
        if fuel > caps.fuel {
            guard asked["fuel"] == nil else { throw fail("fuel", "\(fuel) is above this server's cap of \(caps.fuel) (warden serve --wasm-max-fuel)") }
            fuel = caps.fuel
        }
        if maxMemoryPages > caps.maxMemoryPages {
            guard asked["max_memory_pages"] == nil else { throw fail("max_memory_pages", "\(maxMemoryPages) is above this server's cap of \(caps.maxMemoryPages) (warden serve --wasm-max-memory-pages)") }
            maxMemoryPages = caps.maxMemoryPages
        }
        if timeoutMilliseconds > caps.timeoutMilliseconds {
            guard asked["timeout_ms"] == nil else { throw fail("timeout_ms", "\(timeoutMilliseconds) is above this server's cap of \(caps.timeoutMilliseconds) (warden serve --wasm-max-timeout-ms)") }
            timeoutMilliseconds = caps.timeoutMilliseconds
        }
    }
}
