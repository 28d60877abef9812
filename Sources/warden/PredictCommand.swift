import ArgumentParser
import Foundation
import WardenCore
import WardenModel
import WardenONNX
import WardenRuntime
import WardenTensor
import WardenSandbox
import WardenServing

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Run a model on input tensors with Warden's own runtime: ONNX, WASM, or pre → ONNX → post.",
        discussion: """
            Inputs are .npy or ONNX TensorProto .pb files (--input NAME=FILE, repeatable), or a file's raw bytes \
            with NAME=@FILE: a UINT8 input gets the bytes as a 1-D tensor, a BYTES input gets them as one element. \
            A model directory whose warden.yaml names preprocess/postprocess WASM modules runs the same pipeline \
            as warden serve, under the card's sandbox limits. Outputs are written as DIR/NAME.npy with --output-dir \
            (BYTES outputs as DIR/NAME.txt, one element per line), and summarized: name, dtype, shape and the \
            first values. --bench N runs N timed inferences after a warm-up (at least one run and 200 ms) and prints \
            min, median and p99 in ms; \
            with --profile it also prints where the time went, per op type and for the slowest nodes (ONNX models).
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

    @Flag(name: .long, help: "With --bench, time every node and print the time per op type and the slowest nodes (ONNX models).")
    var profile = false

    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false

    func validate() throws {
        for item in input where !item.contains("=") {
            throw ValidationError("--input takes NAME=FILE, got '\(item)'")
        }
        if let bench, bench < 1 { throw ValidationError("--bench must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if profile, bench == nil { throw ValidationError("--profile times the --bench runs; add --bench N") }
    }

    func run() throws {
        try runReporting(json: json) {
            let description = try ModelDescription(contentsOf: model)
            let runtime = try PipelineRuntime.make(for: description, threads: threads)
            let threads = threads ?? Executor.Options().threads
            var inputs: [String: Tensor] = [:]
            for item in input {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                inputs[parts[0]] = try Self.read(parts[1], for: runtime.signature.inputs.first { $0.name == parts[0] })
            }
            let outputs = try runtime.infer(inputs)
            if let outputDir {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
                for (name, tensor) in outputs {
                    try Self.write(tensor, named: name, in: outputDir)
                }
            }
            var timings: [Double] = []
            let executor = (runtime as? ONNXModelRuntime)?.executor
            if profile, executor == nil {
                throw WardenError(.invalidArgument, "--profile times the nodes of an ONNX model; \(model) runs as \(runtime.platform)")
            }
            let nodeTimes = profile ? Executor.Profile() : nil
            if let bench {
                // Warm-up: at least one run and 200 ms, so idle cores have reached their clock
                // and the executor's worker threads are spinning before the timing starts.
                let warmUpStart = DispatchTime.now().uptimeNanoseconds
                repeat {
                    _ = try runtime.infer(inputs)
                } while DispatchTime.now().uptimeNanoseconds - warmUpStart < 200_000_000
                for _ in 0..<bench {
                    let start = DispatchTime.now().uptimeNanoseconds
                    if let executor, let nodeTimes { _ = try executor.run(inputs, profile: nodeTimes) } else { _ = try runtime.infer(inputs) }
                    timings.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                timings.sort()
            }
            let ordered = runtime.signature.outputs.compactMap { spec in outputs[spec.name].map { (spec.name, $0) } }
            if json {
                var object: [String: Any] = ["outputs": ordered.map { name, tensor in
                    ["name": name, "dtype": tensor.dataType.rawValue, "shape": tensor.shape, "first": Self.first(tensor, 8)] as [String: Any]
                }]
                if !timings.isEmpty {
                    object["bench"] = ["runs": timings.count, "threads": threads, "min_ms": timings[0], "median_ms": timings[timings.count / 2], "p99_ms": timings[min(timings.count - 1, Int(Double(timings.count) * 0.99))]]
                }
                if let nodeTimes, let executor {
                    let runs = Double(max(nodeTimes.runs, 1))
                    let (weights, intermediates) = (executor.weightMemory, executor.intermediateMemory)
                    object["profile"] = [
                        "ops": nodeTimes.byOp.map { ["op": $0.op, "nodes": $0.nodes, "ms_per_run": Double($0.nanoseconds) / 1e6 / runs] as [String: Any] },
                        "nodes": nodeTimes.nodes.map { ["op": $0.op, "name": $0.name, "ms_per_run": Double($0.nanoseconds) / 1e6 / runs] as [String: Any] },
                        "memory": [
                            "weights_heap_bytes": weights.heapBytes, "weights_mapped_bytes": weights.mappedBytes,
                            "intermediate_values": intermediates.values, "intermediate_buffers": intermediates.buffers,
                            "intermediate_held_bytes": intermediates.heldBytes, "intermediate_unshared_bytes": nodeTimes.intermediateBytes,
                            "process_rss_anon_bytes": Self.residentMemory()?.anonymous ?? -1, "process_rss_file_bytes": Self.residentMemory()?.file ?? -1,
                        ],
                    ]
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
                if let nodeTimes, let executor { Self.printProfile(nodeTimes, executor) }
            }
        }
    }

    /// The time per op type, then the ten slowest nodes, in ms per run and as a share of all node time.
    static func printProfile(_ profile: Executor.Profile, _ executor: Executor) {
        let runs = Double(max(profile.runs, 1))
        let total = Double(max(1, profile.nodes.reduce(0) { $0 + $1.nanoseconds }))
        func row(_ label: String, _ count: String, _ nanoseconds: UInt64) -> String {
            let padded = label.count >= 40 ? String(label.prefix(39)) + "…" : label.padding(toLength: 40, withPad: " ", startingAt: 0)
            return "  " + padded + count.leftPadded(6) + String(format: "%10.4f %6.1f%%", Double(nanoseconds) / 1e6 / runs, 100 * Double(nanoseconds) / total)
        }
        print("profile: time inside the nodes, per run (\(profile.runs) runs)")
        print("  " + "op".padding(toLength: 40, withPad: " ", startingAt: 0) + "nodes".leftPadded(6) + "    ms/run   share")
        for op in profile.byOp { print(row(op.op, "\(op.nodes)", op.nanoseconds)) }
        print("  slowest nodes (op, then the node's name or its first output):")
        for node in profile.nodes.sorted(by: { $0.nanoseconds > $1.nanoseconds }).prefix(10) {
            print(row("\(node.op) \(node.name)", "", node.nanoseconds))
        }
        let (weights, intermediates) = (executor.weightMemory, executor.intermediateMemory)
        func mib(_ bytes: Int) -> String { String(format: "%.2f MiB", Double(bytes) / 1_048_576) }
        print("memory: weights \(mib(weights.heapBytes)) on the heap, \(mib(weights.mappedBytes)) read in place from mapped external data")
        if let resident = residentMemory() {
            print("  process: \(mib(resident.anonymous)) resident on the heap and stacks, \(mib(resident.file)) of mapped files (the binary, libraries, external data)")
        }
        print("  intermediates: \(intermediates.values) values share \(intermediates.buffers) buffers holding \(mib(intermediates.heldBytes)) (\(mib(profile.intermediateBytes)) with one buffer each)")
    }

    /// The process's resident memory from /proc/self/status (Linux): anonymous pages, and pages of mapped files.
    static func residentMemory() -> (anonymous: Int, file: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func kilobytes(_ key: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        guard let anonymous = kilobytes("RssAnon"), let file = kilobytes("RssFile") else { return nil }
        return (anonymous * 1024, file * 1024)
    }

    /// Writes DIR/NAME.npy, or DIR/NAME.txt (one element per line) for BYTES, which .npy cannot hold.
    static func write(_ tensor: Tensor, named name: String, in directory: String) throws {
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" })
        if case .string(let texts) = tensor.storage {
            let path = (directory as NSString).appendingPathComponent(safe + ".txt")
            guard FileManager.default.createFile(atPath: path, contents: Data(texts.map { $0 + "\n" }.joined().utf8)) else {
                throw WardenError(.ioFailure, "cannot write '\(path)'")
            }
        } else {
            try NumPyFile.write(tensor, to: (directory as NSString).appendingPathComponent(safe + ".npy"))
        }
    }

    /// A tensor file, or with `@FILE` the file's raw bytes as the input's type takes them.
    static func read(_ argument: String, for spec: TensorSpec?) throws -> Tensor {
        guard argument.hasPrefix("@") else { return try TensorFile.read(argument) }
        let path = String(argument.dropFirst())
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WardenError(.pathNotFound, "cannot read '\(path)'")
        }
        switch spec?.dataType {
        case .uint8?: return Tensor(shape: [data.count], storage: .uint8([UInt8](data)))
        case .string?:
            guard let text = String(data: data, encoding: .utf8) else {
                throw WardenError(.invalidArgument, "'\(path)' is not UTF-8 text; a BYTES input read with @FILE takes text")
            }
            let rank = spec?.shape?.count ?? 1
            return Tensor(shape: Array(repeating: 1, count: max(rank, 1)), storage: .string([text]))
        default:
            throw WardenError(.invalidArgument, "NAME=@FILE passes raw bytes, so the input must be UINT8 or BYTES\(spec.map { "; '\($0.name)' is \($0.dataType.v2Name)" } ?? "; the model has no such input")")
        }
    }

    static func first(_ tensor: Tensor, _ count: Int) -> [Any] {
        switch tensor.storage {
        case .float(let values): Array(values.prefix(count))
        case .mappedFloat(let values): values.withUnsafeBufferPointer { Array($0.prefix(count)) }
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

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
