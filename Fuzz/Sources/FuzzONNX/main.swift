// libFuzzer target: bytes -> ONNXModel(serialized:) -> ONNXInspector().inspect(_:).
//
// Any thrown error is an accepted outcome; a trap (overflow, out-of-bounds index,
// force unwrap, stack overflow) or an ASan report is a bug.
import Foundation
import WardenONNX

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Data(bytes: start, count: count)
    guard let model = try? ONNXModel(serialized: bytes, path: "fuzz.onnx") else { return 0 }
    // "fuzz.onnx" is relative, so external data resolves against the working directory
    // (run.sh starts the fuzzer in an empty temporary directory).
    guard let inspection = try? ONNXInspector().inspect(model) else { return 0 }
    // Read the derived numbers too: they sum element counts and widths of untrusted dims.
    blackHole(inspection.parameterCount)
    blackHole(inspection.parameterBytes)
    return 0
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
