import Foundation

/// Runs the built `warden` binary, as a user would, and captures what it prints.
struct WardenProcess {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `warden` executable SwiftPM built beside the test bundle.
    static let executable: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("warden")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return URL(fileURLWithPath: ".build/debug/warden")
    }()

    /// Runs `warden arguments…` in `directory`; gives up after `timeout` seconds.
    @discardableResult
    static func run(_ arguments: [String], in directory: String, timeout: TimeInterval = 60) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("warden-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("warden-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Bounded wait: a hung child is killed, and the test sees its status.
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try out.close()
        try err.close()
        let stdout = try Data(contentsOf: outURL)
        let stderr = try Data(contentsOf: errURL)
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }
}

/// A fresh temporary directory for one test.
func makeWorkspace() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

func write(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

/// Waits for a condition instead of a fixed time: polls `condition` on this thread every
/// `interval` until it holds, and throws naming `what` when `limit` seconds pass first.
func pollUntil(_ what: @autoclosure () -> String, within limit: TimeInterval = 20, every interval: TimeInterval = 0.005, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(limit)
    while try !condition() {
        guard Date() < deadline else {
            throw CocoaError(.userCancelled, userInfo: [NSLocalizedDescriptionKey: "waited \(limit) s until \(what()), in vain"])
        }
        Thread.sleep(forTimeInterval: interval)
    }
}
