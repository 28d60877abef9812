import Foundation
import Testing

/// `warden serve`'s slow-client limits: a value that is not a positive duration or count
/// is refused before the server starts, saying what to pass.
@Suite struct ServeLimitsCLITests {
    @Test(arguments: [
        ("--header-timeout", "0", "--header-timeout must be a positive number of seconds"),
        ("--header-timeout", "ten", "--header-timeout"),
        ("--idle-timeout", "-1", "--idle-timeout must be a positive number of seconds"),
        ("--idle-timeout", "100000", "--idle-timeout must be a positive number of seconds (at most 86400)"),
        ("--max-connections", "0", "--max-connections must be a positive number of connections"),
    ])
    func badLimitsAreRefusedWithUsageErrors(flag: String, value: String, message: String) throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let serve = try WardenProcess.run(["serve", "--data", "data", "\(flag)=\(value)"], in: workspace)
        #expect(serve.status == 2, "\(flag) \(value): exit \(serve.status)")
        #expect(serve.stderr.contains(message), "\(flag) \(value): \(serve.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace + "/data"), "the server started before refusing \(flag)")
    }
}
