// libFuzzer target: bytes -> the WASM sandbox's two untrusted-input parsers.
//
//   - the first byte 0..127: the rest is a tensor set a module answered with (TensorSet.decode),
//     and what decodes is encoded again and must decode to the same tensors. "The same" is
//     compared on the encoded bytes, not with `==`: a float NaN is never `==` itself, and the
//     bytes also catch a value whose bits change on the way (a NaN payload, a float16 rounding);
//   - 128..255: the rest is a WebAssembly binary, loaded as a pre/post-processing module
//     (parse, validate, import allow-list, export checks, one trial instance under small limits).
//
// Any thrown error is an accepted outcome; a trap or an ASan report is a bug.
import WardenCore
import WardenTensor
import WardenSandbox

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSandbox(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    if selector < 128 {
        guard let entries = try? TensorSet.decode(rest) else { return 0 }
        guard let encoded = try? TensorSet.encode(entries),
              let again = try? TensorSet.decode(encoded),
              again.map(\.name) == entries.map(\.name), again.map(\.dataType) == entries.map(\.dataType),
              again.map(\.tensor.shape) == entries.map(\.tensor.shape),
              (try? TensorSet.encode(again)) == encoded else {
            fatalError("a decoded tensor set does not survive encode and decode")
        }
    } else {
        let limits = SandboxLimits(fuel: 100_000, maxMemoryPages: 16, timeoutMilliseconds: 100)
        _ = try? SandboxModule(bytes: rest, role: "preprocess", fileName: "fuzz.wasm", limits: limits)
    }
    return 0
}
