import Foundation
import Testing
import WardenCore
@testable import WardenONNX
@testable import WardenRuntime
@testable import WardenTensor

/// ONNX's per-operator `node` backend test cases whose every op is in the executor's
/// kernel table, vendored by Fixtures/conformance/vendor_node.py (listed in node.json).
///
/// Every case must load and match ONNX's reference outputs in their own element type
/// (see `ReferenceComparison`), except the ones listed in `NodeConformanceTests+Known.swift`:
/// a known refusal must still be refused at load with its message, and a known failure must
/// still fail. A case that changes either way fails the test, so the lists stay true.
@Suite struct NodeConformanceTests {
    struct Summary: Decodable {
        let onnx: String
        let ops: [String]
        let sizeLimit: Int
        let total: Int
        let vendored: [String: [String]]
        let supportedNotVendoredSize: [String: Int]
        let supportedNotTensors: [String]

        enum CodingKeys: String, CodingKey {
            case onnx, ops, total, vendored
            case sizeLimit = "size_limit"
            case supportedNotVendoredSize = "supported_not_vendored_size"
            case supportedNotTensors = "supported_not_tensors"
        }
    }

    static let root = Fixture.path("conformance/node")
    static let summary: Summary = {
        do {
            return try JSONDecoder().decode(Summary.self, from: Data(contentsOf: URL(fileURLWithPath: Fixture.path("conformance/node.json"))))
        } catch {
            fatalError("Fixtures/conformance/node.json is unreadable: \(error)")
        }
    }()
    static let cases = summary.vendored.keys.sorted()

    @Test func theVendoredOpsAreTheKernelTable() {
        // A kernel added or removed without re-running vendor_node.py would leave its cases out (or in).
        #expect(Self.summary.ops == Kernels.all.keys.sorted())
    }

    @Test func everyListedCaseIsOnDiskAndEveryKnownOutcomeNamesOne() throws {
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: Self.root).sorted()
        #expect(onDisk == Self.cases)
        #expect(Self.cases.count >= 700)
        let vendored = Set(Self.cases)
        #expect(Set(Self.knownRefusals.keys).subtracting(vendored).sorted() == [])
        #expect(Set(Self.knownFailures.keys).subtracting(vendored).sorted() == [])
        #expect(Set(Self.knownCrashes.keys).subtracting(vendored).sorted() == [])
        #expect(Set(Self.knownRefusals.keys).intersection(Self.knownFailures.keys).sorted() == [])
    }

    @Test(arguments: cases)
    func matchesTheReferenceOutputs(_ name: String) throws {
        let directory = "\(Self.root)/\(name)"
        if Self.knownCrashes[name] != nil { return }  // listed, not run: it would take every other case down with it
        let load = { try Executor(model: ONNXModel(contentsOf: "\(directory)/model.onnx"), options: .init(threads: 1)) }
        if let refusal = Self.knownRefusals[name] {
            let error = #expect(throws: (any Error).self, "\(name) is listed as refused at load with '\(refusal)'") { try load() }
            if let error {
                #expect(String(describing: error).contains(refusal), "\(name): refused with '\(error)', listed as '\(refusal)'")
            }
            return
        }
        if let reason = Self.knownFailures[name] {
            withKnownIssue("\(name): \(reason)") {
                let problems = try BackendTestCase.problems(load(), directory: directory)
                #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
            }
            return
        }
        let problems = try BackendTestCase.problems(load(), directory: directory)
        #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
    }
}
