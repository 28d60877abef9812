// libFuzzer target: bytes -> one inference of a real model on adversarial values.
//
// The models are the repository's own test models: every vendored ONNX conformance case
// (small graphs of nearly every supported op), the scikit-learn exports, the tree
// ensembles and the MNIST CNN and transformer encoder. The first byte picks the model;
// then, for each input, a byte picks each dynamic dim (1...4) and the following bytes are
// the raw values (float32 bit patterns, so NaN, infinities and 1e38 all come up; int64s,
// so indices far out of range do too). A request can carry any of these values, so a
// kernel must answer with a value or an error, never trap.
// Any thrown error is an accepted outcome; a trap or an ASan report is a bug.
import Foundation
import WardenCore
import WardenONNX
import WardenRuntime
import WardenTensor

enum Models {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let all: [Executor] = {
        var paths: [String] = []
        let conformance = root + "/Tests/WardenONNXTests/Fixtures/conformance"
        for suite in ["simple", "pytorch-operator", "pytorch-converted"] {
            let cases = (try? FileManager.default.contentsOfDirectory(atPath: conformance + "/" + suite)) ?? []
            paths += cases.sorted().map { "\(conformance)/\(suite)/\($0)/model.onnx" }
        }
        let sklearn = root + "/Tests/WardenModelTests/Fixtures/sklearn"
        paths += ["logreg-a", "mlp-1layer", "forest"].map { "\(sklearn)/\($0).onnx" }
        let runtime = root + "/Tests/WardenONNXTests/Fixtures/runtime"
        paths += ["trees/gbdt-classifier", "trees/gbdt-regressor", "networks/mnist-cnn", "networks/transformer-encoder"].map { "\(runtime)/\($0).onnx" }
        return paths.compactMap { path in try? Executor(model: ONNXModel(contentsOf: path), options: .init(threads: 1)) }
    }()
}

struct Reader {
    var bytes: ArraySlice<UInt8>
    mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }
    mutating func word<T: FixedWidthInteger>(_: T.Type) -> T {
        var value: T = 0
        for index in 0..<(T.bitWidth / 8) { value |= T(truncatingIfNeeded: byte()) << (8 * index) }
        return value
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExecute(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    var reader = Reader(bytes: [UInt8](UnsafeRawBufferPointer(start: start, count: count))[...])
    let models = Models.all
    guard !models.isEmpty else { fatalError("no test models found under \(Models.root)") }
    let executor = models[Int(reader.byte()) % models.count]
    var inputs: [String: Tensor] = [:]
    for spec in executor.signature.inputs {
        let shape = (spec.shape ?? [.unknown]).map { dim -> Int in
            if case .fixed(let size) = dim { return Int(size) }
            return 1 + Int(reader.byte() % 4)
        }
        let elements = shape.reduce(1, *)
        guard elements <= 1 << 16 else { return 0 }
        let storage: Tensor.Storage
        switch Tensor.storageType(for: spec.dataType) {
        case .int64: storage = .int64((0..<elements).map { _ in reader.word(Int64.self) })
        case .int32: storage = .int32((0..<elements).map { _ in reader.word(Int32.self) })
        case .int8: storage = .int8((0..<elements).map { _ in Int8(bitPattern: reader.byte()) })
        case .uint8: storage = .uint8((0..<elements).map { _ in reader.byte() })
        case .bool: storage = .bool((0..<elements).map { _ in reader.byte() & 1 == 1 })
        case .float64: storage = .double((0..<elements).map { _ in Double(bitPattern: reader.word(UInt64.self)) })
        case .string: storage = .string((0..<elements).map { _ in String(reader.byte()) })
        default: storage = .float((0..<elements).map { _ in Float(bitPattern: reader.word(UInt32.self)) })
        }
        inputs[spec.name] = Tensor(shape: shape, storage: storage)
    }
    _ = try? executor.run(inputs)
    return 0
}
