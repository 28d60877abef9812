import Crypto
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The registry as users run it: `warden serve` as a child process, the CLI
/// client against it, crashes by SIGKILL, and `warden fsck` after.
@Suite(.serialized) struct RegistryCLITests {
    let workspace: String
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("WardenModelTests/Fixtures/sklearn").path

    init() throws {
        workspace = try makeWorkspace()
        for (model, fixture) in [("one", "mlp-1layer.onnx"), ("two", "mlp-2layer.onnx")] {
            try FileManager.default.createDirectory(atPath: "\(workspace)/\(model)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(fixtures)/\(fixture)", toPath: "\(workspace)/\(model)/model.onnx")
        }
        #expect(try WardenProcess.run(["keygen", "--out", "ci"], in: workspace).status == 0)
        try FileManager.default.createDirectory(atPath: "\(workspace)/data/trust", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(workspace)/ci.pub", toPath: "\(workspace)/data/trust/ci.pub")
    }

    func token() throws -> String {
        try String(contentsOfFile: "\(workspace)/data/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func warden(_ server: ServerProcess, _ arguments: String...) throws -> WardenProcess.Output {
        try WardenProcess.run(arguments + ["--server", server.url, "--token", token()], in: workspace)
    }

    @Test func pushPullAliasesAndTheSemverRule() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        let first = try warden(server, "push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("published iris@1.0.0 sha256:"))
        #expect(first.stdout.contains("uploaded 1 of 1 blob(s)"))

        let again = try warden(server, "push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key")
        #expect(again.status == 0 && again.stdout.contains("already published") && again.stdout.contains("uploaded 0 of 1 blob(s)"), "\(again.stderr)")

        let dishonest = try warden(server, "push", "two", "--name", "iris", "--version", "1.0.1", "--sign", "ci.key")
        #expect(dishonest.status == 1)
        #expect(dishonest.stderr.contains("needs a MINOR bump") && dishonest.stderr.contains("publish it as 1.1.0 or later"))

        let auto = try warden(server, "push", "two", "--name", "iris", "--bump", "auto", "--sign", "ci.key")
        #expect(auto.status == 0 && auto.stdout.contains("published iris@1.1.0"), "\(auto.stderr)")

        #expect(try warden(server, "alias", "set", "iris", "production", "1.0.0").status == 0)
        #expect(try warden(server, "alias", "set", "iris", "production", "1.1.0").stdout.contains("iris:production 1.0.0 -> 1.1.0"))
        #expect(try warden(server, "alias", "get", "iris", "production").stdout == "1.1.0\n")
        let history = try warden(server, "alias", "history", "iris", "production")
        #expect(history.stdout.components(separatedBy: "\n").filter { $0.contains("production") }.count == 2)

        let pulled = try warden(server, "pull", "iris:production", "-o", "pulled", "--trust", "data/trust")
        #expect(pulled.status == 0, "\(pulled.stderr)")
        #expect(pulled.stdout.contains("pulled iris@1.1.0") && pulled.stdout.contains("verified sha256:"))
        #expect(FileManager.default.contentsEqual(atPath: "\(workspace)/pulled/model.onnx", andPath: "\(workspace)/two/model.onnx"))
        #expect(FileManager.default.fileExists(atPath: "\(workspace)/pulled/model.sig"))

        // A key the version was not signed with: verification fails, nothing is left at -o.
        #expect(try WardenProcess.run(["keygen", "--out", "stranger"], in: workspace).status == 0)
        let untrusted = try warden(server, "pull", "iris@1.0.0", "-o", "untrusted", "--key", "stranger.pub")
        #expect(untrusted.status == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(workspace)/untrusted"))

        let diff = try warden(server, "diff", "iris@1.0.0", "iris:production")
        #expect(diff.status == 0 && diff.stdout.hasPrefix("required bump: MINOR"), "\(diff.stderr)")

        let versions = try warden(server, "versions", "iris")
        #expect(versions.stdout.contains("1.0.0") && versions.stdout.contains("1.1.0    MINOR"))
        #expect(server.stop() == 0)
        let fsck = try WardenProcess.run(["fsck", "--data", "data"], in: workspace)
        #expect(fsck.status == 0 && fsck.stdout.contains("checked 2 blob(s) and 2 version(s)") && fsck.stdout.contains("clean"), "\(fsck.stdout)")
    }

    @Test func aServerKilledMidUploadLeavesNothingHalfWritten() throws {
        var server = try ServerProcess(data: "\(workspace)/data")
        // Half a blob: the request promises 1 MiB and sends 256 KiB, then the server dies.
        let body = [UInt8](repeating: 42, count: 1 << 20)
        let digest = "sha256:" + sha256Hex(body)
        let head = "PUT /api/v1/blobs/\(digest) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(try token())\r\nContent-Length: \(body.count)\r\n\r\n"
        let socket = try sendRaw(port: server.port, Array(head.utf8) + body.prefix(256 << 10))
        // Killed once the server has written part of the upload to disk (not after a guessed time).
        let uploads = "\(workspace)/data/blobs/uploads"
        try pollUntil("the server has written part of the upload") {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: uploads)) ?? []
            return names.contains { ((try? FileManager.default.attributesOfItem(atPath: "\(uploads)/\($0)")[.size] as? Int) ?? 0) > 0 }
        }
        server.kill()
        close(socket)

        let dirty = try WardenProcess.run(["fsck", "--data", "data"], in: workspace)
        #expect(dirty.status == 1 && dirty.stdout.contains("temporary file left behind"), "\(dirty.stdout)")

        // A restart clears the interrupted upload; the push then goes through.
        server = try ServerProcess(data: "\(workspace)/data")
        let first = try warden(server, "push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key")
        #expect(first.status == 0, "\(first.stderr)")

        // Killed while it verifies a publish: a 48 MiB file makes the server's re-hash take a while.
        try FileManager.default.copyItem(atPath: "\(workspace)/two", toPath: "\(workspace)/big")
        let weights = try #require(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: 48 << 20).map { $0 }
        try Data(weights).write(to: URL(fileURLWithPath: "\(workspace)/big/extra.bin"))
        let hex = sha256Hex(weights)
        let blobPath = "\(workspace)/data/blobs/sha256/\(hex.prefix(2))/\(hex)"
        let push = Process()
        push.executableURL = WardenProcess.executable
        push.arguments = ["push", "big", "--name", "iris", "--version", "2.0.0", "--sign", "ci.key", "--server", server.url, "--token", try token()]
        push.currentDirectoryURL = URL(fileURLWithPath: workspace)
        push.standardOutput = FileHandle.nullDevice
        push.standardError = FileHandle.nullDevice
        try push.run()
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: blobPath), push.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.002) }
        Thread.sleep(forTimeInterval: 0.01)
        server.kill()
        push.waitUntilExit()

        server = try ServerProcess(data: "\(workspace)/data")
        let listed = try warden(server, "versions", "iris", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any]
        let versions = (object?["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? String } ?? []
        #expect(versions == ["1.0.0"] || versions == ["1.0.0", "2.0.0"], "\(versions)")
        let retry = try warden(server, "push", "big", "--name", "iris", "--version", "2.0.0", "--sign", "ci.key")
        #expect(retry.status == 0, "\(retry.stderr)")
        #expect(retry.stdout.contains("iris@2.0.0"))
        #expect(server.stop() == 0)
        let clean = try WardenProcess.run(["fsck", "--data", "data"], in: workspace)
        #expect(clean.status == 0 && clean.stdout.contains("clean"), "\(clean.stdout)")
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

extension RegistryCLITests {
    @Test func rollbackMovesProductionBackAndTheServerAnswersFromIt() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        #expect(try warden(server, "push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key").status == 0)
        #expect(try warden(server, "push", "two", "--name", "iris", "--version", "1.1.0", "--sign", "ci.key").status == 0)
        #expect(try warden(server, "alias", "set", "iris", "production", "1.0.0").status == 0)
        #expect(try warden(server, "alias", "set", "iris", "production", "1.1.0").status == 0)

        let rollback = try warden(server, "rollback", "iris", "--reason", "p99 regression")
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(rollback.stdout.contains("production 1.1.0 -> 1.0.0"))
        #expect(rollback.stdout.contains("reason: p99 regression"))
        #expect(rollback.stdout.contains("served: the server answers from 1.0.0 after"))
        #expect(rollback.stdout.contains("required bump: MINOR"))  // the diff between the two

        let again = try warden(server, "rollback", "iris", "--to", "1.0.0")
        #expect(again.status == 2)
        #expect(again.stderr.contains("already names iris@1.0.0"))
        #expect(server.stop() == 0)
    }
}

extension RegistryCLITests {
    @Test func rolloutFromTheCommandLine() throws {
        let server = try ServerProcess(data: "\(workspace)/data")
        #expect(try warden(server, "push", "one", "--name", "iris", "--version", "1.0.0", "--sign", "ci.key").status == 0)
        #expect(try warden(server, "push", "two", "--name", "iris", "--version", "1.1.0", "--sign", "ci.key").status == 0)
        #expect(try warden(server, "alias", "set", "iris", "production", "1.0.0").status == 0)
        let started = try warden(server, "rollout", "start", "iris", "--to", "1.1.0", "--steps", "10,100", "--interval", "1h")
        #expect(started.status == 0, "\(started.stderr)")
        #expect(started.stdout.contains("iris: 1.0.0 -> 1.1.0  progressing  candidate weight 10%"))
        let bad = try warden(server, "rollout", "start", "iris", "--to", "1.1.0", "--interval", "soon")
        #expect(bad.status == 2 && bad.stderr.contains("--interval takes a duration"))
        #expect(try warden(server, "rollout", "pause", "iris").stdout.contains("paused"))
        let status = try warden(server, "rollout", "status", "iris")
        #expect(status.stdout.contains("VERSION") && status.stdout.contains("1.1.0"))
        let rollback = try warden(server, "rollback", "iris", "--reason", "pager")
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(rollback.stdout.contains("rolled back the rollout of iris: all traffic to 1.0.0"))
        #expect(server.stop() == 0)
    }
}
