import Foundation
@_exported import WardenTestSupport
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

