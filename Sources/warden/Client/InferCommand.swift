import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenTensor

struct InferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run an inference on a served model through the Open Inference Protocol (KServe V2) API.",
        discussion: """
            NAME runs on the version its production alias names; NAME@VERSION on that version. \
            Inputs are .npy or ONNX TensorProto .pb files sent as binary tensors, or a V2 JSON request body (--json). \
            The outputs are printed (name, datatype, shape, first values) and, with --output-dir, saved as .npy.
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: ArgumentHelp("The model, as NAME or NAME@VERSION.", valueName: "model"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("An input as NAME=FILE (.npy or .pb), or NAME=@FILE for a file's raw bytes (UINT8 or BYTES inputs); repeat for each input.", valueName: "name=file"))
    var input: [String] = []

    @Option(name: [.customLong("json")], help: ArgumentHelp("A V2 JSON request body to send as it is.", valueName: "file"))
    var jsonRequest: String?

    @Option(name: .long, help: ArgumentHelp("Save each output as DIR/NAME.npy.", valueName: "dir"))
    var outputDir: String?

    @Flag(name: .customLong("print-json"), help: "Print the outputs as JSON.")
    var printJSON = false

    func validate() throws {
        if input.isEmpty == (jsonRequest == nil) { throw ValidationError("give the inputs with --input NAME=FILE, or a request body with --json FILE (one of the two)") }
        for item in input where !item.contains("=") { throw ValidationError("--input takes NAME=FILE, got '\(item)'") }
    }

    func run() async throws {
        try await runReportingAsync(json: printJSON) {
            let parts = model.split(separator: "@", maxSplits: 1).map(String.init)
            let name = parts[0]
            let version = parts.count > 1 ? parts[1] : nil
            let environment = ProcessInfo.processInfo.environment
            let inference = InferenceClient(
                server: client.server ?? environment["WARDEN_SERVER"] ?? "http://127.0.0.1:8080",
                token: ClientOptions.usableToken(client.token ?? environment["WARDEN_TOKEN"], from: client.token != nil ? "--token" : "WARDEN_TOKEN")
            )
            let result: InferenceClient.Result
            if let jsonRequest {
                guard let body = FileManager.default.contents(atPath: jsonRequest) else {
                    throw WardenError(.pathNotFound, "cannot read the request body '\(jsonRequest)'")
                }
                result = try await inference.infer(model: name, version: version, json: Array(body))
            } else {
                var tensors: [(name: String, tensor: Tensor)] = []
                // Raw bytes (NAME=@FILE) take the type the model declares for the input.
                let declared = input.contains { $0.contains("=@") } ? try await inference.inputs(model: name, version: version) : []
                for item in input {
                    let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
                    tensors.append((pair[0], try PredictCommand.read(pair[1], for: declared.first { $0.name == pair[0] })))
                }
                result = try await inference.infer(model: name, version: version, inputs: tensors)
            }
            if let outputDir {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
                for (name, tensor) in result.outputs {
                    try PredictCommand.write(tensor, named: name, in: outputDir)
                }
            }
            if printJSON {
                warden.printJSON(["model": result.model, "version": result.version, "outputs": result.outputs.map { name, tensor in
                    ["name": name, "datatype": tensor.dataType.v2Name, "shape": tensor.shape, "first": PredictCommand.first(tensor, 8)] as [String: Any]
                }])
            } else {
                print("\(result.model)@\(result.version)")
                for (name, tensor) in result.outputs {
                    print("\(name)  \(tensor.dataType.v2Name) \(tensor.shapeDescription)  \(PredictCommand.first(tensor, 8).map { "\($0)" }.joined(separator: ", "))\(tensor.elementCount > 8 ? ", …" : "")")
                }
            }
        }
    }
}
