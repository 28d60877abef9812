import Foundation
import Testing

/// Who may change what, through the real `warden` binary against a real `warden serve`:
/// every CLI command that changes the registry or what is served, run without a token
/// and with a token of each role.
@Suite("Access control from the command line")
struct AccessControlCLITests {
    enum Caller: String, CaseIterable, Sendable {
        case anonymous, reader, publisher, deployer, admin

        /// Position in the role order; anonymous is below every role.
        var rank: Int { Self.allCases.firstIndex(of: self)! }
    }

    /// A state-changing command and the lowest role that may run it.
    enum Command: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case push, aliasSet, aliasRemove, tokenCreate, tokenRevoke, rolloutStart, rolloutPause, rolloutAbort, rollback

        var needs: Caller {
            switch self {
            case .push: .publisher
            case .aliasSet, .aliasRemove, .rolloutStart, .rolloutPause, .rolloutAbort, .rollback: .deployer
            case .tokenCreate, .tokenRevoke: .admin
            }
        }

        var testDescription: String { rawValue }
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenModelTests/Fixtures/sklearn").path

    @Test("each caller runs every state-changing command: no token and too low a role exit 2 naming the role; the lowest role allowed succeeds", arguments: Command.allCases)
    func command(_ command: Command) throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        for (model, fixture) in [("one", "mlp-1layer.onnx"), ("two", "mlp-2layer.onnx")] {
            try FileManager.default.createDirectory(atPath: "\(workspace)/\(model)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(Self.fixtures)/\(fixture)", toPath: "\(workspace)/\(model)/model.onnx")
        }
        #expect(try WardenProcess.run(["keygen", "--out", "ci"], in: workspace).status == 0)
        try FileManager.default.createDirectory(atPath: "\(workspace)/data/trust", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(workspace)/ci.pub", toPath: "\(workspace)/data/trust/ci.pub")
        let server = try ServerProcess(data: "\(workspace)/data")
        let admin = try String(contentsOfFile: "\(workspace)/data/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        func run(_ arguments: [String], token: String?) throws -> WardenProcess.Output {
            try WardenProcess.run(arguments + ["--server", server.url] + (token.map { ["--token", $0] } ?? []), in: workspace)
        }
        func setUp(_ arguments: String...) throws -> WardenProcess.Output {
            let output = try run(arguments, token: admin)
            #expect(output.status == 0, "set-up \(arguments.joined(separator: " ")): \(output.stderr)")
            return output
        }
        func tokenID(_ output: WardenProcess.Output) throws -> Int {
            let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
            return try #require(object?["id"] as? Int, "\(output.stdout)")
        }
        var tokens: [Caller: String] = [.admin: admin]
        for caller in [Caller.reader, .publisher, .deployer] {
            tokens[caller] = try setUp("token", "create", "--role", caller.rawValue, "--name", "cli-\(caller.rawValue)").stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        // What the command acts on, set up as admin, and each caller's arguments.
        var arguments: [Caller: [String]] = [:]
        switch command {
        case .push:
            for caller in Caller.allCases {
                arguments[caller] = ["push", "one", "--name", "m-\(caller.rawValue)", "--version", "1.0.0", "--sign", "ci.key"]
            }
        case .aliasSet, .aliasRemove:
            _ = try setUp("push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key")
            for caller in Caller.allCases {
                if command == .aliasRemove {
                    _ = try setUp("alias", "set", "iris", "a-\(caller.rawValue)", "1.0.0")
                    arguments[caller] = ["alias", "rm", "iris", "a-\(caller.rawValue)"]
                } else {
                    arguments[caller] = ["alias", "set", "iris", "a-\(caller.rawValue)", "1.0.0"]
                }
            }
        case .tokenCreate:
            for caller in Caller.allCases { arguments[caller] = ["token", "create", "--role", "reader", "--name", "t-\(caller.rawValue)"] }
        case .tokenRevoke:
            for caller in Caller.allCases {
                let id = try tokenID(try setUp("token", "create", "--role", "reader", "--name", "victim-\(caller.rawValue)", "--json"))
                arguments[caller] = ["token", "revoke", "\(id)"]
            }
        case .rolloutStart, .rolloutPause, .rolloutAbort, .rollback:
            _ = try setUp("push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key")
            _ = try setUp("alias", "set", "iris", "production", "1.0.0")
            _ = try setUp("push", "two", "--name", "iris", "--version", "1.1.0", "--sign", "ci.key")
            switch command {
            case .rolloutStart:
                for caller in Caller.allCases { arguments[caller] = ["rollout", "start", "iris", "--to", "1.1.0", "--interval", "10m"] }
            case .rolloutPause, .rolloutAbort:
                _ = try setUp("rollout", "start", "iris", "--to", "1.1.0", "--interval", "10m")
                let verb = command == .rolloutPause ? "pause" : "abort"
                for caller in Caller.allCases { arguments[caller] = ["rollout", verb, "iris"] }
            default:
                _ = try setUp("alias", "set", "iris", "production", "1.1.0")
                for caller in Caller.allCases { arguments[caller] = ["rollback", "iris", "--to", "1.0.0", "--wait", "0"] }
            }
        }

        for caller in Caller.allCases {
            let output = try run(try #require(arguments[caller]), token: tokens[caller])
            let what = "warden \(arguments[caller]!.joined(separator: " ")) as \(caller): exit \(output.status), \(output.stderr)"
            if caller == .anonymous {
                // The server's words, or the client's own when the refused request was a HEAD (no body).
                #expect(output.status == 2, "\(what)")
                #expect(output.stderr.contains("needs a token with role") || output.stderr.contains("401 Unauthorized: this needs a valid token"), "\(what)")
            } else if caller.rank < command.needs.rank {
                #expect(output.status == 2, "\(what)")
                #expect(output.stderr.contains("has role \(caller.rawValue), but this needs \(command.needs.rawValue)"), "\(what)")
            } else if caller == command.needs {
                #expect(output.status == 0, "\(what)")
            } else {
                // A higher role passes too; its run may meet what the first one did (a rollout already paused).
                #expect(!output.stderr.contains("needs a token") && !output.stderr.contains("but this needs"), "\(what)")
            }
        }
        #expect(server.stop() == 0)
    }
}
