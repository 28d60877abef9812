import ArgumentParser
import Foundation
import WardenModel

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a model: format, opsets, IO signature, ops, parameters, topology fingerprint and weights digest.",
        discussion: """
            PATH is a model directory (with an optional warden.yaml card) or an .onnx file. \
            The topology fingerprint ignores trained values and names; the weights digest covers every initializer's values. \
            Each weight byte is read once, streaming external data. Exit 2 when the model or its card is invalid.
            """
    )

    @Argument(help: "The model directory or file.")
    var path: String

    @Flag(name: .long, help: "Print the description as JSON.")
    var json = false

    func run() throws {
        try runReporting(json: json) {
            let model = try ModelDescription(contentsOf: path)
            if json {
                printJSON(model.jsonObject)
            } else {
                print(InspectReport(model).text, terminator: "")
            }
        }
    }
}

/// The human-readable `warden inspect` report.
struct InspectReport {
    let model: ModelDescription

    init(_ model: ModelDescription) { self.model = model }

    var text: String {
        var rows: [(String, String)] = [("model", model.path)]
        if let card = model.card {
            if let name = card.name { rows.append(("name", name)) }
            if let description = card.description { rows.append(("description", description)) }
        }
        var format = model.format.rawValue
        if let onnx = model.onnx {
            format += " (ir_version \(onnx.irVersion)\(onnx.producer.isEmpty ? "" : ", produced by \(onnx.producer)"))"
        }
        if let framework = model.card?.framework { format += ", framework \(framework)" }
        rows.append(("format", format))
        if let onnx = model.onnx {
            rows.append(("opsets", onnx.opsets.map { "\($0.domain) \($0.version)" }.joined(separator: ", ")))
        }
        for (index, input) in model.signature.inputs.enumerated() {
            rows.append((index == 0 ? "inputs" : "", "\(input.name)  \(input.dataType) \(input.shapeDescription)"))
        }
        if model.signature.inputs.isEmpty { rows.append(("inputs", "none")) }
        for (index, output) in model.signature.outputs.enumerated() {
            rows.append((index == 0 ? "outputs" : "", "\(output.name)  \(output.dataType) \(output.shapeDescription)"))
        }
        if let onnx = model.onnx {
            let ops = onnx.opCounts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            rows.append(("ops", "\(onnx.opCounts.values.reduce(0, +)) node\(onnx.opCounts.values.reduce(0, +) == 1 ? "" : "s"): " + ops.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            rows.append(("parameters", "\(grouped(onnx.parameterCount)) in \(onnx.parameters.count) tensors, \(byteSize(onnx.parameterBytes))"))
            rows.append(("topology", onnx.topologyFingerprint.description))
            rows.append(("weights", onnx.weightsDigest.description))
        }
        if let labels = model.card?.labels { rows.append(("labels", labels.joined(separator: ", "))) }
        if let lineage = model.card?.lineage {
            if let parent = lineage.parent { rows.append(("parent", parent.description)) }
            if let dataset = lineage.dataset { rows.append(("dataset", dataset.description)) }
            if let revision = lineage.codeRevision { rows.append(("code", revision)) }
            if let run = lineage.runURL { rows.append(("run", run)) }
        }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 + "\n" }.joined()
    }
}

func grouped(_ value: Int64) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return out
}

func byteSize(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
