import ArgumentParser
import Foundation
import WardenCore
import WardenONNX

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run an ONNX model on input tensors with Warden's Swift executor.",
        discussion: """
            Inputs are .npy or ONNX TensorProto .pb files (--input NAME=FILE, repeatable). Outputs are written as \
            DIR/NAME.npy with --output-dir, and summarized: name, dtype, shape and the first values. \
            --bench N runs N timed inferences after a warm-up and prints min, median and p99 in ms.
            """
    )

    @Argument(help: "The model directory or .onnx file.")
    var model: String

    @Option(name: .long, help: ArgumentHelp("An input tensor (repeatable).", valueName: "name=file"))
    var input: [String] = []

    @Option(name: .long, help: ArgumentHelp("Write each output as NAME.npy here.", valueName: "dir"))
    var outputDir: String?

    @Option(name: .long, help: "Threads one inference may use inside its ops (default: the number of active cores).")
    var threads: Int?

    @Option(name: .long, help: "Time this many inferences after a warm-up.")
    var bench: Int?

    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        for item in input where !item.contains("=") {
            throw ValidationError("--input takes NAME=FILE, got '\(item)'")
        }
        if let bench, bench < 1 { throw ValidationError("--bench must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReporting(json: json) {
            let executor = try Executor(model: ONNXModel(contentsOf: model), options: .init(threads: threads))
            let threads = executor.options.threads
            var inputs: [String: Tensor] = [:]
            for item in input {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                inputs[parts[0]] = try TensorFile.read(parts[1])
            }
            let outputs = try executor.run(inputs)
            if let outputDir {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
                for (name, tensor) in outputs {
                    let safe = name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" }
                    try TensorFile.writeNumPy(tensor, to: (outputDir as NSString).appendingPathComponent(String(safe) + ".npy"))
                }
            }
            var timings: [Double] = []
            if let bench {
                _ = try executor.run(inputs)
                for _ in 0..<bench {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try executor.run(inputs)
                    timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                timings.sort()
            }
            let ordered = executor.signature.outputs.compactMap { spec in outputs[spec.name].map { (spec.name, $0) } }
            if json {
                var object: [String: Any] = ["outputs": ordered.map { name, tensor in
                    ["name": name, "dtype": tensor.dataType.rawValue, "shape": tensor.shape, "first": Self.first(tensor, 8)] as [String: Any]
                }]
                if !timings.isEmpty {
                    object["bench"] = ["runs": timings.count, "threads": threads, "min_ms": timings[0], "median_ms": timings[timings.count / 2], "p99_ms": timings[min(timings.count - 1, Int(Double(timings.count) * 0.99))]]
                }
                printJSON(object)
            } else {
                for (name, tensor) in ordered {
                    print("\(name)  \(tensor.dataType) \(tensor.shapeDescription)  \(Self.first(tensor, 8).map { "\($0)" }.joined(separator: ", "))\(tensor.elementCount > 8 ? ", …" : "")")
                }
                if !timings.isEmpty {
                    print(String(format: "bench: %d runs, %d thread(s): min %.3f ms, median %.3f ms, p99 %.3f ms",
                                 timings.count, threads, timings[0], timings[timings.count / 2], timings[min(timings.count - 1, Int(Double(timings.count) * 0.99))]))
                }
            }
        }
    }

    static func first(_ tensor: Tensor, _ count: Int) -> [Any] {
        switch tensor.storage {
        case .float(let values): Array(values.prefix(count))
        case .double(let values): Array(values.prefix(count))
        case .int64(let values): Array(values.prefix(count))
        case .int32(let values): Array(values.prefix(count))
        case .int8(let values): Array(values.prefix(count))
        case .uint8(let values): Array(values.prefix(count))
        case .bool(let values): Array(values.prefix(count))
        case .string(let values): Array(values.prefix(count))
        }
    }
}
