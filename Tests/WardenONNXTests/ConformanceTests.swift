import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// ONNX's own backend test cases (simple, pytorch-operator, pytorch-converted)
/// whose ops the executor supports, vendored by Fixtures/conformance/vendor.py.
/// Outputs must match in their own element type (see `ReferenceComparison`): float32 within
/// ONNX's tolerances (rtol 1e-3, atol 1e-7), float64 at float64 precision, integers exactly.
@Suite struct ConformanceTests {
    static let root = Fixture.path("conformance")

    /// `suite/case` for every vendored case.
    static let cases: [String] = {
        let suites = ["simple", "pytorch-operator", "pytorch-converted"]
        return suites.flatMap { suite in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(suite)")) ?? []).sorted().map { "\(suite)/\($0)" }
        }
    }()

    @Test func everySupportedCaseIsVendored() throws {
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.root)/summary.json"))) as? [String: Any])
        let suites = try #require(summary["suites"] as? [String: [String: Any]])
        let listed = suites.values.map { ($0["supported"] as? [String])?.count ?? 0 }.reduce(0, +)
        #expect(listed == Self.cases.count)
        #expect(Self.cases.count >= 91)
    }

    @Test(arguments: cases)
    func matchesTheReferenceOutputs(_ name: String) throws {
        let directory = "\(Self.root)/\(name)"
        let executor = try Executor(model: ONNXModel(contentsOf: "\(directory)/model.onnx"))
        let problems = try BackendTestCase.problems(executor, directory: directory)
        #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
    }
}
