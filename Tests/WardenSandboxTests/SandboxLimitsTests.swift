import Foundation
import Testing
import WardenCore
import WardenTensor
import WardenSandbox
import WardenTestSupport

/// The sandbox's promises: only allow-listed imports load, and every call runs
/// under fuel, page and time limits that fail that call alone, with an error
/// naming the limit.
@Suite struct SandboxLimitsTests {
    static func module(_ name: String, limits: SandboxLimits = .defaults) throws -> SandboxModule {
        let path = try #require(Bundle.module.path(forResource: name, ofType: "wat", inDirectory: "Modules"))
        return try SandboxModule(contentsOf: path, role: "preprocess", limits: limits)
    }

    static let features = TensorSet.Entry(name: "x", dataType: .float32, tensor: Tensor(shape: [1, 3], floats: [1, 2, 3]))

    @Test func identityAnswersWithItsInputs() throws {
        let text = TensorSet.Entry(name: "text", dataType: .string, tensor: Tensor(shape: [2], storage: .string(["héllo", ""])))
        let half = TensorSet.Entry(name: "half", dataType: .float16, tensor: Tensor(shape: [2], floats: [0.5, -2]))
        let flags = TensorSet.Entry(name: "flags", dataType: .bool, tensor: Tensor(shape: [3], storage: .bool([true, false, true])))
        let inputs = [Self.features, text, half, flags]
        let outputs = try Self.module("identity").call(inputs)
        #expect(outputs == inputs)
    }

    @Test func aLoopIsStoppedByFuel() throws {
        let limits = SandboxLimits(fuel: 1_000_000, maxMemoryPages: 16, timeoutMilliseconds: 10_000)
        let module = try Self.module("loop", limits: limits)
        expectWardenError(.wasmOutOfFuel, containing: ["preprocess module loop.wat ran out of fuel", "1000000"]) {
            _ = try module.call([Self.features])
        }
        // The module is still usable: the next call gets a fresh budget (and fails the same way).
        expectWardenError(.wasmOutOfFuel, containing: "ran out of fuel") { _ = try module.call([]) }
    }

    @Test func aLoopIsStoppedByTheClock() throws {
        let limits = SandboxLimits(fuel: .max, maxMemoryPages: 16, timeoutMilliseconds: 50)
        let module = try Self.module("loop", limits: limits)
        let start = ContinuousClock.now
        expectWardenError(.wasmTimeout, containing: ["ran past its 50 ms timeout", "sandbox.timeout_ms"]) {
            _ = try module.call([Self.features])
        }
        // Bounded loosely: the point is that it stops, not how fast the machine is.
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func unboundedGrowthIsStoppedByThePageLimit() throws {
        let limits = SandboxLimits(fuel: 10_000_000, maxMemoryPages: 32, timeoutMilliseconds: 10_000)
        let module = try Self.module("grow", limits: limits)
        expectWardenError(.wasmMemoryLimit, containing: ["tried to grow its memory to 33 pages", "the limit is 32 pages", "sandbox.max_memory_pages"]) {
            _ = try module.call([Self.features])
        }
    }

    @Test func initialMemoryAboveTheLimitIsRefusedAtLoad() throws {
        expectWardenError(.wasmMemoryLimit, containing: ["512 pages", "the limit is 256 pages"]) {
            _ = try Self.module("big-memory")
        }
        _ = try Self.module("big-memory", limits: SandboxLimits(fuel: 1000, maxMemoryPages: 512, timeoutMilliseconds: 100))
    }

    @Test func aTrapFailsTheCallWithTheTrapsMessage() throws {
        let module = try Self.module("trap")
        expectWardenError(.wasmTrap, containing: ["preprocess module trap.wat trapped", "unreachable"]) {
            _ = try module.call([Self.features])
        }
    }

    @Test func wasiImportsAreRefusedAtLoadNamingTheImport() {
        expectWardenError(.wasmImportRefused, containing: ["imports wasi_snapshot_preview1.fd_write", "only warden.log and warden.fail"]) {
            _ = try Self.module("wasi")
        }
    }

    @Test func aModuleRejectsItsInputWithItsOwnMessage() throws {
        let module = try Self.module("reject")
        expectWardenError(.wasmRejectedInput, containing: "rejected the input: expected a PPM image (P6)") {
            _ = try module.call([Self.features])
        }
    }

    @Test func modulesThatBreakTheABIAreRefusedOrFailClearly() throws {
        expectWardenError(.invalidModel, containing: "speaks ABI version 2") { _ = try Self.module("abi2") }
        expectWardenError(.invalidModel, containing: "does not export warden_process") { _ = try Self.module("no-process") }
        let bad = try Self.module("bad-output")
        expectWardenError(.wasmABIViolation, containing: "bad tensor set") { _ = try bad.call([]) }
        expectWardenError(.wasmABIViolation, containing: "past the end of its memory") { _ = try bad.call([Self.features]) }
        expectWardenError(.invalidModel, containing: "not a valid WebAssembly binary") {
            _ = try SandboxModule(bytes: Array("not wasm".utf8), role: "postprocess", fileName: "post.wasm", limits: .defaults)
        }
    }

    @Test func failuresLeaveOtherCallsUnaffected() async throws {
        let loop = try Self.module("loop", limits: SandboxLimits(fuel: .max, maxMemoryPages: 16, timeoutMilliseconds: 200))
        let identity = try Self.module("identity")
        async let stuck: Void = Task.detached { expectWardenError(.wasmTimeout, containing: "timeout") { _ = try loop.call([]) } }.value
        for _ in 0..<20 {
            #expect(try identity.call([Self.features]) == [Self.features])
        }
        await stuck
    }

    @Test func cardLimitsAreCheckedAgainstTheServersCaps() throws {
        let caps = SandboxLimits(fuel: 1_000_000, maxMemoryPages: 64, timeoutMilliseconds: 500)
        // Defaults above a cap are lowered to it; values the card asks for above it are refused.
        let lowered = try SandboxLimits(card: nil, caps: caps)
        #expect(lowered == SandboxLimits(fuel: 1_000_000, maxMemoryPages: 64, timeoutMilliseconds: 500))
        #expect(lowered.reuseInstances)
        expectWardenError(.invalidCard, containing: ["sandbox.fuel", "above this server's cap of 1000000", "--wasm-max-fuel"]) {
            _ = try SandboxLimits(card: ["fuel": 2_000_000], caps: caps)
        }
        expectWardenError(.invalidCard, containing: ["sandbox.max_memory_pages", "--wasm-max-memory-pages"]) {
            _ = try SandboxLimits(card: ["max_memory_pages": 65], caps: caps)
        }
        expectWardenError(.invalidCard, containing: "sandbox.timeout_ms: must be at least 1 ms") {
            _ = try SandboxLimits(card: ["timeout_ms": 0], caps: caps)
        }
        expectWardenError(.invalidCard, containing: "sandbox.stack: unknown limit") {
            _ = try SandboxLimits(card: ["stack": 1], caps: caps)
        }
        #expect(try SandboxLimits(card: ["fuel": 5, "timeout_ms": 20], caps: caps) == SandboxLimits(fuel: 5, maxMemoryPages: 64, timeoutMilliseconds: 20))
        #expect(try SandboxLimits(card: ["reuse_instances": 0], caps: caps).reuseInstances == false)
        expectWardenError(.invalidCard, containing: "sandbox.reuse_instances: must be true or false") {
            _ = try SandboxLimits(card: ["reuse_instances": 2], caps: caps)
        }
    }

    @Test func malformedTensorSetsAreRefused() {
        expectWardenError(.invalidArgument, containing: "does not start with \"WTS1\"") { _ = try TensorSet.decode([1, 2, 3]) }
        var truncated = try! TensorSet.encode([Self.features])
        truncated.removeLast(8)
        expectWardenError(.invalidArgument, containing: "says 12 bytes of data, but the set ends first") { _ = try TensorSet.decode(truncated) }
        var badType = try! TensorSet.encode([Self.features])
        badType[12] = 99
        expectWardenError(.invalidArgument, containing: "datatype code 99") { _ = try TensorSet.decode(badType) }
    }

    @Test func freshInstancesShareNothingAndReusedOnesGetTheirMemoryBack() throws {
        func answers(_ module: SandboxModule) throws -> [[Int32]] {
            try (0..<3).map { _ in
                let outputs = try module.call([])
                return outputs.map { entry in if case .int32(let values) = entry.tensor.storage { values[0] } else { -1 } }
            }
        }
        // Reused (the default): the memory is restored after each call; a global it does not export counts on.
        #expect(try answers(Self.module("memo")) == [[0, 1], [0, 2], [0, 3]])
        // Fresh per call (reuse_instances: false): nothing carries over.
        var limits = SandboxLimits.defaults
        limits.reuseInstances = false
        #expect(try answers(Self.module("memo", limits: limits)) == [[0, 1], [0, 1], [0, 1]])
        limits.reuseInstances = true
        // A reused instance that failed is dropped: the next call gets a fresh one, under the same limits.
        limits.fuel = 1_000_000
        let loop = try Self.module("loop", limits: limits)
        expectWardenError(.wasmOutOfFuel, containing: "ran out of fuel") { _ = try loop.call([]) }
        expectWardenError(.wasmOutOfFuel, containing: "ran out of fuel") { _ = try loop.call([]) }
    }

    @Test func aModuleWhoseMemoryStartsEmptyLoadsAndRuns() throws {
        for reuse in [true, false] {
            var limits = SandboxLimits.defaults
            limits.reuseInstances = reuse
            let module = try Self.module("empty-memory", limits: limits)
            #expect(try module.call([Self.features]) == [Self.features])
            #expect(try module.call([Self.features]) == [Self.features])
        }
    }
}

