import Foundation
import Testing
import WardenCore
@testable import WardenONNX

// TEMPORARY dev harness: runs /tmp/nodedata/node cases. Delete before hand-off.
@Suite struct TmpNodeCasesTests {
    @Test func nodeCases() throws {
        let root = "/tmp/nodedata/node"
        var report: [String] = []
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            let directory = "\(root)/\(name)"
            do {
                let executor = try Executor(model: ONNXModel(contentsOf: "\(directory)/model.onnx"))
                var bad = 0
                for set in try FileManager.default.contentsOfDirectory(atPath: directory).filter({ $0.hasPrefix("test_data_set_") }) {
                    var inputs: [String: Tensor] = [:]
                    for (index, spec) in executor.signature.inputs.enumerated() {
                        inputs[spec.name] = try TensorFile.read("\(directory)/\(set)/input_\(index).pb")
                    }
                    let outputs = try executor.run(inputs)
                    for (index, spec) in executor.signature.outputs.enumerated() {
                        let expected = try TensorFile.read("\(directory)/\(set)/output_\(index).pb")
                        guard let actual = outputs[spec.name], actual.shape == expected.shape else { bad += 1000; continue }
                        bad += zip(actual.floats, expected.floats).filter { a, e in !(abs(a - e) <= 1e-5 + 1e-3 * abs(e) || (a.isNaN && e.isNaN)) }.count
                    }
                }
                report.append("\(bad == 0 ? "PASS" : "FAIL(\(bad))") \(name)")
            } catch {
                report.append("ERROR \(name): \(error)")
            }
        }
        try report.joined(separator: "\n").write(toFile: "/tmp/nodecases-report.txt", atomically: true, encoding: .utf8)
    }
}
