import Foundation
import Logging
import WAT
import WardenCore
import WardenTensor
// The resource limiter, which bounds linear memory, is SPI in WasmKit 0.4; it is the engine's
// own hook for this job, used as WasmKit's fuzzer uses it.
@_spi(Fuzzing) import WasmKit

extension WardenError.Code {
    /// A module refused the request through `warden.fail` (the client's input is wrong).
    public static let wasmRejectedInput = Self(rawValue: "wasm_rejected_input")
    /// A call used up its fuel.
    public static let wasmOutOfFuel = Self(rawValue: "wasm_out_of_fuel")
    /// A call tried to grow linear memory past the page limit.
    public static let wasmMemoryLimit = Self(rawValue: "wasm_memory_limit")
    /// A call ran past its wall-clock timeout.
    public static let wasmTimeout = Self(rawValue: "wasm_timeout")
    /// A call trapped (`unreachable`, out-of-bounds access, …).
    public static let wasmTrap = Self(rawValue: "wasm_trap")
    /// A module broke the host ABI (a bad allocation, a malformed tensor set).
    public static let wasmABIViolation = Self(rawValue: "wasm_abi_violation")
    /// A module imports something the sandbox does not provide.
    public static let wasmImportRefused = Self(rawValue: "wasm_import_refused")
}

/// One WebAssembly module, checked against the host ABI (`docs/wasm-abi.md`)
/// and ready to call under its limits.
///
/// Loading parses and validates the module, refuses any import outside the
/// allow-list (`warden.log`, `warden.fail`), checks the exports, and runs one
/// trial instantiation to read the ABI version. Each `call` then runs in a
/// fresh store and instance, under the fuel budget, the page limit and the
/// wall-clock timeout, so one call can never see another's memory.
///
/// ```swift
/// let pre = try SandboxModule(contentsOf: "model/pre.wat", role: "preprocess", limits: .defaults)
/// let outputs = try pre.call([.init(name: "image", dataType: .uint8, tensor: bytes)])
/// ```
public struct SandboxModule: Sendable {
    /// The ABI version this host speaks.
    public static let abiVersion: UInt32 = 1
    /// The host functions a module may import, by module and name.
    public static let allowedImports: [String: Set<String>] = ["warden": ["log", "fail"]]
    static let maxLogBytes = 4096
    static let maxTableElements = 100_000

    /// `preprocess`, `postprocess` or `model`: says which stage failed in errors.
    public let role: String
    /// The file it was loaded from, for errors and logs.
    public let fileName: String
    public let limits: SandboxLimits
    let module: Module
    let engine: Engine
    let logger: Logger
    /// Idle instances to reuse, when the card asks for it (`sandbox.reuse_instances`).
    let pool: InstancePool?

    /// Loads a `.wasm` binary or a `.wat` text module.
    /// - Throws: `WardenError`: `.unreadableFile`, `.invalidModel` (does not parse or validate, lacks an
    ///   export, wrong ABI version), `.wasmImportRefused` naming the import.
    public init(contentsOf path: String, role: String, limits: SandboxLimits, logger: Logger = Logger(label: "warden.sandbox")) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WardenError(.unreadableFile, "cannot read the \(role) module '\(path)'")
        }
        let name = (path as NSString).lastPathComponent
        var bytes = [UInt8](data)
        if path.hasSuffix(".wat") {
            guard let text = String(data: data, encoding: .utf8) else {
                throw WardenError(.invalidModel, "the \(role) module \(name) is not UTF-8 text")
            }
            do {
                bytes = try wat2wasm(text)
            } catch {
                throw WardenError(.invalidModel, "the \(role) module \(name) is not valid WAT: \(error)", cause: error)
            }
        }
        try self.init(bytes: bytes, role: role, fileName: name, limits: limits, logger: logger)
    }

    /// Loads a module from its binary form.
    public init(bytes: [UInt8], role: String, fileName: String, limits: SandboxLimits, logger: Logger = Logger(label: "warden.sandbox")) throws {
        self.role = role
        self.fileName = fileName
        self.limits = limits
        self.logger = logger
        pool = limits.reuseInstances ? InstancePool() : nil
        let what = "the \(role) module \(fileName)"
        do {
            module = try parseWasm(bytes: bytes)
        } catch {
            throw WardenError(.invalidModel, "\(what) is not a valid WebAssembly binary: \(error)", cause: error)
        }
        for item in module.imports {
            guard Self.allowedImports[item.module]?.contains(item.name) == true, case .function = item.descriptor else {
                throw WardenError(
                    .wasmImportRefused,
                    "\(what) imports \(item.module).\(item.name), which the sandbox does not provide; a module may import only warden.log and warden.fail (no WASI: no files, network, clock or random)"
                )
            }
        }
        for (export, kind) in [("memory", "a memory"), ("warden_abi_version", "a function"), ("warden_alloc", "a function"), ("warden_process", "a function")] {
            let found = module.exports.first { $0.name == export }
            let matches: Bool = switch found?.descriptor {
            case .memory?: kind == "a memory"
            case .function?: kind == "a function"
            default: false
            }
            guard matches else {
                throw WardenError(.invalidModel, "\(what) does not export \(export) as \(kind); see docs/wasm-abi.md for what a module exports")
            }
        }
        engine = Engine(configuration: EngineConfiguration(memoryBoundsChecking: .software, fuelMetering: true))

        // One trial instance: the imports link, the export types and the ABI version are right,
        // and the start function (if any) runs within the limits.
        let version = try run { instance, _ in
            for (export, parameters, results) in [("warden_alloc", [ValueType.i32], [ValueType.i32]), ("warden_process", [.i32, .i32], [.i64]), ("warden_abi_version", [], [.i32])] {
                let type = instance.exports[function: export]?.type
                guard type?.parameters == parameters, type?.results == results else {
                    throw WardenError(.invalidModel, "\(what) exports \(export) with type \(type.map { "\($0.parameters) -> \($0.results)" } ?? "?"); the ABI needs \(parameters) -> \(results)")
                }
            }
            return try instance.exports[function: "warden_abi_version"]!([])
        }
        guard case .i32(let number)? = version.first, number == Self.abiVersion else {
            let said = if case .i32(let number)? = version.first { "\(Int32(bitPattern: number))" } else { "nothing" }
            throw WardenError(.invalidModel, "\(what) speaks ABI version \(said); this server speaks version \(Self.abiVersion) (docs/wasm-abi.md)")
        }
    }

    /// Runs the module on one tensor set and returns the set it answers with.
    /// - Throws: `WardenError` naming the stage: `.wasmRejectedInput` (the module called `warden.fail`),
    ///   `.wasmOutOfFuel`, `.wasmMemoryLimit`, `.wasmTimeout`, `.wasmTrap`, `.wasmABIViolation`.
    public func call(_ inputs: [TensorSet.Entry]) throws -> [TensorSet.Entry] {
        let payload = try TensorSet.encode(inputs)
        let what = "the \(role) module \(fileName)"
        let output: [UInt8] = try run { instance, memory in
            guard payload.count <= Int(Int32.max) else {
                throw WardenError(.invalidArgument, "the inputs take \(payload.count) bytes; a WASM module takes at most 2 GiB")
            }
            let allocated = try instance.exports[function: "warden_alloc"]!([.i32(UInt32(payload.count))])
            guard case .i32(let address)? = allocated.first, address != 0 else {
                throw WardenError(.wasmABIViolation, "\(what) could not allocate \(payload.count) bytes for its inputs (warden_alloc returned 0)")
            }
            guard Int(address) + payload.count <= memory.byteCount else {
                throw WardenError(.wasmABIViolation, "\(what): warden_alloc(\(payload.count)) returned \(address), which runs past the end of its memory (\(memory.byteCount) bytes)")
            }
            memory.withUnsafeMutableBufferPointer(offset: UInt(address), count: payload.count) { buffer in
                payload.withUnsafeBytes { buffer.copyMemory(from: $0) }
            }
            let result = try instance.exports[function: "warden_process"]!([.i32(address), .i32(UInt32(payload.count))])
            guard case .i64(let packed)? = result.first else {
                throw WardenError(.wasmABIViolation, "\(what): warden_process returned no i64")
            }
            let start = Int(packed >> 32), length = Int(packed & 0xffff_ffff)
            guard start + length <= memory.byteCount else {
                throw WardenError(.wasmABIViolation, "\(what) answered with bytes \(start)..<\(start + length), which run past the end of its memory (\(memory.byteCount) bytes)")
            }
            guard length > 0 else { return [] }
            return memory.withUnsafeBufferPointer(offset: UInt(start), count: length) { [UInt8]($0) }
        }
        do {
            return try TensorSet.decode(output)
        } catch let error as WardenError {
            throw WardenError(.wasmABIViolation, "\(what) answered with a bad tensor set: \(error.message)", cause: error)
        }
    }

    /// Instantiates the module in a fresh store under the limits, runs `body`, and turns
    /// what can go wrong in there into errors that name the stage and the limit.
    private func run<T>(_ body: (Instance, Memory) throws -> T) throws -> T {
        let what = "the \(role) module \(fileName)"
        // A pooled instance (sandbox.reuse_instances) comes with its store; otherwise a fresh store.
        var pooled = pool?.take()
        let store = pooled?.store ?? Store(engine: engine)
        if pooled == nil { store.resourceLimiter = PageLimiter(maxPages: limits.maxMemoryPages) }
        store.fuel = Fuel(remaining: limits.fuel)
        let rejection = pooled?.rejection ?? Rejection()
        rejection.message = nil
        let ticket = Watchdog.shared.arm(store, milliseconds: limits.timeoutMilliseconds)
        var timedOut = false
        defer { if !timedOut { _ = Watchdog.shared.disarm(ticket) } }
        do {
            if pooled == nil {
                let instance = try module.instantiate(store: store, imports: hostFunctions(store: store, rejection: rejection))
                guard let memory = instance.exports[memory: "memory"] else {
                    throw WardenError(.invalidModel, "\(what) does not export its memory")
                }
                pooled = InstancePool.Entry(store: store, instance: instance, memory: memory, rejection: rejection, keepsSnapshot: pool != nil)
            }
            guard let entry = pooled else { throw WardenError(.wasmABIViolation, "\(what) has no instance") }
            let result = try body(entry.instance, entry.memory)
            // Only an instance whose call succeeded goes back, with its memory and globals restored.
            if let pool { pool.give(entry) }
            return result
        } catch let error as WardenError {
            throw error
        } catch let error as PageLimiter.Exceeded {
            throw WardenError(.wasmMemoryLimit, "\(what) tried to grow its memory to \(error.pages) pages (\(error.pages * 64) KiB); the limit is \(limits.maxMemoryPages) pages (sandbox.max_memory_pages)")
        } catch {
            if let message = rejection.message {
                throw WardenError(.wasmRejectedInput, "\(what) rejected the input: \(message)")
            }
            let text = String(describing: error)
            if text.contains("out of fuel") {
                timedOut = Watchdog.shared.disarm(ticket)
                if timedOut {
                    throw WardenError(.wasmTimeout, "\(what) ran past its \(limits.timeoutMilliseconds) ms timeout (sandbox.timeout_ms) and was stopped")
                }
                throw WardenError(.wasmOutOfFuel, "\(what) ran out of fuel (limit \(limits.fuel) instructions per call, sandbox.fuel)")
            }
            let firstLine = text.split(separator: "\n").first.map(String.init) ?? text
            throw WardenError(.wasmTrap, "\(what) trapped: \(firstLine)", cause: error)
        }
    }

    /// `warden.log` and `warden.fail`, bound to this call's store.
    private func hostFunctions(store: Store, rejection: Rejection) -> Imports {
        let logger = logger
        let label = "\(role) \(fileName)"
        func text(_ caller: borrowing Caller, _ pointer: Value, _ length: Value, limit: Int) -> String {
            guard case .i32(let start) = pointer, case .i32(let count) = length,
                let memory = caller.instance?.exports[memory: "memory"],
                Int(start) + Int(count) <= memory.byteCount
            else { return "<the text is out of the module's memory>" }
            let shown = min(Int(count), limit)
            guard shown > 0 else { return "" }
            return memory.withUnsafeBufferPointer(offset: UInt(start), count: shown) { String(decoding: $0, as: UTF8.self) }
        }
        var imports = Imports()
        imports.define(module: "warden", name: "log", Function(store: store, parameters: [.i32, .i32, .i32]) { caller, arguments in
            let message = text(caller, arguments[1], arguments[2], limit: Self.maxLogBytes)
            let level: Logger.Level = switch arguments[0] {
            case .i32(0): .debug
            case .i32(1): .info
            case .i32(2): .warning
            default: .error
            }
            logger.log(level: level, "\(label): \(message)")
            return []
        })
        imports.define(module: "warden", name: "fail", Function(store: store, parameters: [.i32, .i32]) { caller, arguments in
            rejection.message = text(caller, arguments[0], arguments[1], limit: Self.maxLogBytes)
            throw Rejection.Raised()
        })
        return imports
    }
}

/// The message a module gave `warden.fail`; set on the calling thread only.
final class Rejection: @unchecked Sendable {
    struct Raised: Error {}
    var message: String?
}

/// Refuses linear memory beyond the page limit by throwing, so the call stops at the
/// `memory.grow` (or the instantiation) that would pass it.
final class PageLimiter: ResourceLimiter, @unchecked Sendable {
    struct Exceeded: Error { let pages: Int }
    let maxBytes: Int

    init(maxPages: Int) { maxBytes = maxPages * 65536 }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        guard desired <= maxBytes else { throw Exceeded(pages: (desired + 65535) / 65536) }
        return true
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        desired <= SandboxModule.maxTableElements
    }
}

/// Instances kept between calls for `sandbox.reuse_instances`. Each goes back only after a
/// call that succeeded, with its linear memory restored to what instantiation left and its
/// exported globals reset; an instance whose memory grew is dropped instead, since linear
/// memory cannot shrink. Globals the module does not export keep their values.
final class InstancePool: @unchecked Sendable {
    final class Entry {
        let store: Store
        let instance: Instance
        let memory: Memory
        let rejection: Rejection
        let snapshot: [UInt8]
        let globals: [(Global, Value)]

        init(store: Store, instance: Instance, memory: Memory, rejection: Rejection, keepsSnapshot: Bool) {
            self.store = store
            self.instance = instance
            self.memory = memory
            self.rejection = rejection
            snapshot = keepsSnapshot && memory.byteCount > 0 ? memory.withUnsafeBufferPointer(offset: 0, count: memory.byteCount) { [UInt8]($0) } : []
            globals = keepsSnapshot ? instance.exports.compactMap { _, value in
                if case .global(let global) = value { (global, global.value) } else { nil }
            } : []
        }

        /// Back to the state instantiation left, or false when that cannot be done.
        func reset() -> Bool {
            guard memory.byteCount == snapshot.count else { return false }
            if !snapshot.isEmpty {
                memory.withUnsafeMutableBufferPointer(offset: 0, count: snapshot.count) { buffer in
                    snapshot.withUnsafeBytes { buffer.copyMemory(from: $0) }
                }
            }
            for (global, value) in globals { try? global.assign(value) }
            return true
        }
    }

    private let lock = NSLock()
    private var idle: [Entry] = []
    static let maxIdle = 16

    func take() -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast()
    }

    func give(_ entry: Entry) {
        guard entry.reset() else { return }
        lock.lock()
        defer { lock.unlock() }
        if idle.count < Self.maxIdle { idle.append(entry) }
    }
}
