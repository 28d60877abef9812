import Crypto
import Foundation
import Testing

/// Issue 16's findings, as a user meets them from the command line: a malformed push that
/// published nothing yet exited 0, a folder Warden cannot read, a signature picked up from
/// the wrong place, orphan blobs, two servers on one data folder, and the smaller messages.
@Suite(.serialized) struct HardeningCLITests {
    let workspace: String
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenModelTests/Fixtures/sklearn").path

    init() throws {
        workspace = try makeWorkspace()
        for (model, fixture) in [("iris", "mlp-1layer.onnx"), ("other", "mlp-2layer.onnx")] {
            try FileManager.default.createDirectory(atPath: "\(workspace)/\(model)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(fixture)", toPath: "\(workspace)/\(model)/model.onnx")
        }
        #expect(try WardenProcess.run(["keygen", "--out", "alice"], in: workspace).status == 0)
        try FileManager.default.createDirectory(atPath: "\(workspace)/data/trust", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(workspace)/alice.pub", toPath: "\(workspace)/data/trust/alice.pub")
    }

    func token() throws -> String {
        try String(contentsOfFile: "\(workspace)/data/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func warden(_ server: ServerProcess, _ arguments: String...) throws -> WardenProcess.Output {
        try WardenProcess.run(arguments + ["--server", server.url, "--token", token()], in: workspace)
    }

    @Test("a malformed push exits 2 with the real error and publishes nothing; no command's --version is taken for Warden's own")
    func malformedPushes() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        let wardenVersion = try WardenProcess.run(["--version"], in: workspace)
        #expect(wardenVersion.status == 0 && !wardenVersion.stdout.isEmpty)
        for (arguments, message) in [
            (["push", "--name", "iris", "--version", "2.0.0", "--sign", "alice.key"], "Missing expected argument '<path>'"),
            (["push", "iris", "--version", "2.0.0"], "Missing expected argument '--name <name>'"),
            (["push", "iris", "--nmae", "iris", "--version", "2.0.0"], "'--name <name>'"),  // argument-parser names the missing option first
        ] {
            let result = try WardenProcess.run(arguments + ["--server", server.url, "--token", token()], in: workspace)
            #expect(result.status == 2, "\(arguments): \(result.stdout)")
            #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout != wardenVersion.stdout)
        }
        let models = try warden(server, "models")
        #expect(!models.stdout.contains("iris"), "\(models.stdout)")
        #expect(server.stop() == 0)

        // Every command, nested ones too: a stray --version never prints Warden's version and exits 0.
        for command in try Self.commands(in: workspace) {
            let result = try WardenProcess.run(command + ["--version", "1.0.0", "--no-such-option"], in: workspace)
            #expect(result.status == 2, "warden \(command.joined(separator: " ")): \(result.status) \(result.stdout)")
            #expect(result.stdout != wardenVersion.stdout, "warden \(command.joined(separator: " "))")
            #expect(!result.stderr.hasPrefix("Error:"), "warden \(command.joined(separator: " ")): \(result.stderr)")
        }
    }

    /// Every command path, from `warden --help` and each command's own help.
    static func commands(in workspace: String) throws -> [[String]] {
        func subcommands(_ path: [String]) throws -> [String] {
            let help = try WardenProcess.run(path + ["--help"], in: workspace).stdout
            guard let section = help.range(of: "SUBCOMMANDS:") else { return [] }
            // Rows are "  name   abstract"; wrapped abstracts are indented further.
            return help[section.upperBound...].split(separator: "\n").compactMap { line in
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first,
                      name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) else { return nil }
                return String(name)
            }.filter { $0 != "help" }
        }
        var all: [[String]] = []
        for name in try subcommands([]) {
            let nested = try subcommands([name])
            all += nested.isEmpty ? [[name]] : nested.map { [name, $0] }
        }
        #expect(all.count > 25, "\(all)")
        #expect(all.contains(["push"]) && all.contains(["rollout", "start"]) && all.contains(["gc"]))
        return all
    }

    @Test("a folder Warden cannot read is refused before anything is uploaded, in the user's terms")
    func unreadableFolder() throws {
        try FileManager.default.createDirectory(atPath: "\(workspace)/llm", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: "\(workspace)/llm/model.safetensors"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(workspace)/llm/config.json"))
        let server = try ServerProcess(data: "\(workspace)/data")
        let result = try warden(server, "push", "llm", "--name", "llm", "--version", "1.0.0", "--sign", "alice.key")
        #expect(result.status == 2)
        #expect(result.stderr.contains("model.safetensors (safetensors)") && result.stderr.contains("export the model to ONNX"), "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: 'llm' holds no .onnx or .wasm file"), "\(result.stderr)")
        #expect(!result.stderr.contains("candidate-"), "\(result.stderr)")
        #expect(server.stop() == 0)
        let fsck = try WardenProcess.run(["fsck", "--data", "data", "--json"], in: workspace)
        #expect(fsck.status == 0 && fsck.stdout.contains(#""blobs_checked" : 0"#), "\(fsck.stdout)")
    }

    @Test("push uses the signature the user named or the one inside the folder, says which, and never another model's beside it")
    func signatureDiscovery() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        // warden sign's default: ./model.sig, beside both folders, here for 'other'.
        #expect(try WardenProcess.run(["sign", "other", "--key", "alice.key"], in: workspace).status == 0)
        let unsigned = try warden(server, "push", "iris", "--name", "iris", "--version", "1.0.0")
        #expect(unsigned.status == 1 || unsigned.status == 2)
        #expect(unsigned.stderr.contains("is not signed and this registry requires signatures"), "\(unsigned.stderr)")
        #expect(!unsigned.stderr.contains("model.sig"), "\(unsigned.stderr)")

        #expect(try WardenProcess.run(["sign", "iris", "--key", "alice.key", "--signature", "iris/model.sig"], in: workspace).status == 0)
        let inside = try warden(server, "push", "iris", "--name", "iris", "--version", "1.0.0")
        #expect(inside.status == 0, "\(inside.stderr)")
        #expect(inside.stderr.contains("signature: \(URL(fileURLWithPath: workspace).standardizedFileURL.path)/iris/model.sig"), "\(inside.stderr)")

        let named = try warden(server, "push", "other", "--name", "other", "--version", "1.0.0", "--signature", "model.sig")
        #expect(named.status == 0 && named.stderr.contains("signature: model.sig"), "\(named.stderr)")
        #expect(server.stop() == 0)
    }

    @Test("fsck reports an orphan blob once and a corrupt blob once; gc removes orphans only with the server stopped; a second server is refused")
    func orphansGCAndTheDataFolderLock() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        #expect(try warden(server, "push", "iris", "--name", "iris", "--version", "1.0.0", "--sign", "alice.key").status == 0)

        // A second server on the same folder stops at once and names the first one's PID.
        let second = try WardenProcess.run(["serve", "--data", "data", "--port", "0"], in: workspace, timeout: 30)
        #expect(second.status == 2)
        #expect(second.stderr.contains("is in use by another warden serve (pid \(server.process.processIdentifier))"), "\(second.stderr)")

        // A blob no version references, as a push killed between its uploads and its publish leaves.
        let bytes = Data("an orphan".utf8)
        let hex = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let orphan = "\(workspace)/data/blobs/sha256/\(hex.prefix(2))/\(hex)"
        try FileManager.default.createDirectory(atPath: (orphan as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try bytes.write(to: URL(fileURLWithPath: orphan))

        let live = try WardenProcess.run(["fsck", "--data", "data"], in: workspace)
        #expect(live.status == 1)
        #expect(live.stderr.contains("a warden server (pid \(server.process.processIdentifier)) is running"), "\(live.stderr)")
        #expect(live.stdout.contains("orphan blob: sha256:\(hex) belongs to no version"), "\(live.stdout)")
        let refused = try WardenProcess.run(["gc", "--data", "data"], in: workspace)
        #expect(refused.status == 2 && refused.stderr.contains("stop the server first"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: orphan))
        #expect(server.stop() == 0)

        let dry = try WardenProcess.run(["gc", "--data", "data", "--dry-run"], in: workspace)
        #expect(dry.status == 0 && dry.stdout.contains("would remove orphan blob sha256:\(hex)"), "\(dry.stdout)")
        #expect(FileManager.default.fileExists(atPath: orphan))
        let collected = try WardenProcess.run(["gc", "--data", "data"], in: workspace)
        #expect(collected.status == 0 && collected.stdout.contains("removed 1 orphan blob(s)"), "\(collected.stdout)\(collected.stderr)")
        #expect(!FileManager.default.fileExists(atPath: orphan))
        let clean = try WardenProcess.run(["fsck", "--data", "data"], in: workspace)
        #expect(clean.status == 0 && clean.stdout.contains("clean") && !clean.stderr.contains("is running"), "\(clean.stdout)\(clean.stderr)")

        // A version's blob that no longer hashes to its name: listed once, as corrupt.
        let model = try Data(contentsOf: URL(fileURLWithPath: "\(workspace)/iris/model.onnx"))
        let modelHex = SHA256.hash(data: model).map { String(format: "%02x", $0) }.joined()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(workspace)/data/blobs/sha256/\(modelHex.prefix(2))/\(modelHex)"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("tampered".utf8))
        try handle.close()
        let corrupt = try WardenProcess.run(["fsck", "--data", "data"], in: workspace)
        #expect(corrupt.status == 1)
        #expect(corrupt.stdout.contains("corrupt blob: sha256:\(modelHex)"), "\(corrupt.stdout)")
        #expect(!corrupt.stdout.contains("missing blob"), "\(corrupt.stdout)")
    }

    @Test("the smaller messages: an empty token, a missing model behind an alias, a model with no production alias")
    func smallerMessages() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        let empty = try WardenProcess.run(["alias", "set", "iris", "production", "1.0.0", "--server", server.url, "--token", ""], in: workspace)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("note: --token is empty, so no token is sent"), "\(empty.stderr)")
        #expect(!empty.stderr.contains("must be 'Bearer TOKEN'"), "\(empty.stderr)")

        let missing = try warden(server, "pull", "irs:production", "-o", "pulled", "--trust", "data/trust")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("model 'irs' does not exist"), "\(missing.stderr)")

        #expect(try warden(server, "push", "iris", "--name", "iris", "--version", "1.0.0", "--sign", "alice.key").status == 0)
        try write(#"{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}"#, to: "\(workspace)/request.json")
        let unserved = try warden(server, "infer", "iris", "--json", "request.json")
        #expect(unserved.status == 2)
        #expect(unserved.stderr.contains("warden alias set iris production VERSION"), "\(unserved.stderr)")
        #expect(!unserved.stderr.contains("(POST)"), "\(unserved.stderr)")
        #expect(server.stop() == 0)
    }

    @Test("yank, edit (description and tags) and search from the command line")
    func yankEditSearch() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        #expect(try warden(server, "push", "iris", "--name", "iris", "--version", "1.0.0", "--sign", "alice.key").status == 0)
        #expect(try warden(server, "push", "other", "--name", "fraud", "--version", "1.0.0", "--sign", "alice.key").status == 0)

        let edited = try warden(server, "edit", "iris", "--description", "Fisher's flowers", "--add-tag", "tabular", "--add-tag", "demo")
        #expect(edited.status == 0 && edited.stdout.contains("iris: tags [tabular,demo]; description: Fisher's flowers"), "\(edited.stdout)\(edited.stderr)")
        let untagged = try warden(server, "edit", "iris", "--remove-tag", "demo")
        #expect(untagged.stdout.contains("tags [tabular]"), "\(untagged.stdout)")
        let nothing = try warden(server, "edit", "iris")
        #expect(nothing.status == 2 && nothing.stderr.contains("say what to change"), "\(nothing.stderr)")

        let byDescription = try warden(server, "search", "FLOWERS")
        #expect(byDescription.status == 0 && byDescription.stdout.contains("iris") && !byDescription.stdout.contains("fraud"), "\(byDescription.stdout)")
        let byName = try warden(server, "search", "frau")
        #expect(byName.stdout.contains("fraud") && !byName.stdout.contains("iris "), "\(byName.stdout)")
        let none = try warden(server, "search", "nothing-like-this")
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("no model's name, description or tags contain"), "\(none.stderr)")

        let yanked = try warden(server, "yank", "iris@1.0.0", "--reason", "bad calibration")
        #expect(yanked.status == 0 && yanked.stdout.contains("yanked iris@1.0.0: bad calibration"), "\(yanked.stdout)\(yanked.stderr)")
        #expect(try warden(server, "versions", "iris").stdout.contains("(yanked)"))
        let notExact = try warden(server, "yank", "iris:production")
        #expect(notExact.status == 2 && notExact.stderr.contains("yank takes an exact version"), "\(notExact.stderr)")
        let undone = try warden(server, "yank", "iris@1.0.0", "--undo")
        let after = try warden(server, "versions", "iris")
        #expect(undone.status == 0 && !after.stdout.contains("(yanked)"), "\(undone.stderr)")
        #expect(server.stop() == 0)
    }
}
