import Foundation
import Testing
import WardenCore

/// Paths of the committed test models.
enum Fixture {
    /// Models made with the onnx exporter API, shared with WardenONNXTests
    /// (see Tests/WardenONNXTests/Fixtures/models/make_models.py).
    static func onnx(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WardenONNXTests/Fixtures/models/\(name)").path
    }

    /// Models exported by skl2onnx (see Fixtures/sklearn/README.md).
    static func sklearn(_ name: String) -> String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/sklearn/\(name)").path
    }
}

/// A fresh directory under the system temporary folder, removed on `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("warden-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let target = file(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Copies a file or directory to `relative`.
    @discardableResult
    func copy(_ source: String, to relative: String) throws -> String {
        let target = file(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Expects `body` to throw a `WardenError` with `code` whose message contains every fragment.
func expectWardenError(
    _ code: WardenError.Code,
    containing fragments: String...,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code) error containing \(fragments), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WardenError {
        #expect(error.code == code, "code: \(error.code), message: \(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a WardenError, got \(error)", sourceLocation: sourceLocation)
    }
}
