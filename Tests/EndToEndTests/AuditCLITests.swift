import Foundation
import Testing

/// `warden audit` on a real data directory the server wrote.
@Suite("The audit log from the command line")
struct AuditCLITests {
    @Test("log, verify, prove and consistency, and proofs checked offline with only the public key")
    func auditCommands() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let server = try ServerProcess(data: workspace + "/data")
        let token = try String(contentsOfFile: workspace + "/data/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for name in ["ci", "ops", "release"] {
            let created = try WardenProcess.run(["token", "create", "--role", "publisher", "--name", name, "--server", server.url, "--token", token], in: workspace)
            #expect(created.status == 0, "\(created.stderr)")
        }
        #expect(server.stop() == 0)

        let log = try WardenProcess.run(["audit", "log", "--data", "data"], in: workspace)
        #expect(log.status == 0, "\(log.stderr)")
        #expect(log.stdout.contains("#0 ") && log.stdout.contains("token.created"))

        let verify = try WardenProcess.run(["audit", "verify", "--data", "data"], in: workspace)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("verified"))
        let entries = log.stdout.split(separator: "\n").count
        #expect(entries >= 4)  // the bootstrap admin token and the three above

        let prove = try WardenProcess.run(["audit", "prove", "1", "--data", "data"], in: workspace)
        #expect(prove.status == 0, "\(prove.stderr)")
        try write(prove.stdout, to: workspace + "/inclusion.json")
        let checked = try WardenProcess.run(["audit", "verify-proof", "--key", "data/audit.pub", "inclusion.json"], in: workspace)
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("verified: entry #1"))

        // A proof for an entry that says something else fails.
        try write(prove.stdout.replacingOccurrences(of: "publisher", with: "admin"), to: workspace + "/forged.json")
        let forged = try WardenProcess.run(["audit", "verify-proof", "--key", "data/audit.pub", "forged.json"], in: workspace)
        #expect(forged.status == 1)
        #expect(forged.stderr.contains("does not verify"))

        let consistency = try WardenProcess.run(["audit", "consistency", "2", "\(entries)", "--data", "data"], in: workspace)
        #expect(consistency.status == 0, "\(consistency.stderr)")
        try write(consistency.stdout, to: workspace + "/consistency.json")
        let extended = try WardenProcess.run(["audit", "verify-proof", "--key", "data/audit.pub", "consistency.json"], in: workspace)
        #expect(extended.status == 0, "\(extended.stderr)")
        #expect(extended.stdout.contains("extends the log of 2 entries"))
    }

    @Test("verify on a tampered database exits 1 naming the edited entry; prove and consistency refuse to work from it")
    func verifyNamesTheTamperedEntry() throws {
        let workspace = try makeWorkspace()
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let server = try ServerProcess(data: workspace + "/data")
        let token = try String(contentsOfFile: workspace + "/data/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        for (name, role) in [("ci", "publisher"), ("opsbot", "deployer"), ("release", "publisher")] {
            let created = try WardenProcess.run(["token", "create", "--role", role, "--name", name, "--server", server.url, "--token", token], in: workspace)
            #expect(created.status == 0, "\(created.stderr)")
        }
        #expect(server.stop() == 0)
        let clean = try WardenProcess.run(["audit", "verify", "--data", "data"], in: workspace)
        #expect(clean.status == 0 && clean.stdout.contains("verified"), "\(clean.stdout)\(clean.stderr)")

        // The entry that created the deployer token, by its position in the log.
        let lines = try WardenProcess.run(["audit", "log", "--json", "--data", "data"], in: workspace).stdout.split(separator: "\n")
        let index = try #require(lines.firstIndex { $0.contains(#""opsbot""#) }, "\(lines)")

        // An intruder with file access edits the database file itself: the same number of bytes,
        // so SQLite still reads it, but the deployer token's audit entry now names a "deployer"
        // that is an "admin___" (and so does every other copy of those bytes in the file).
        var tampered = 0
        for file in ["warden.db", "warden.db-wal"] {
            let path = workspace + "/data/" + file
            guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else { continue }
            let from = Array(#""role":"deployer""#.utf8), to = Array(#""role":"admin___""#.utf8)
            var at = 0
            while at + from.count <= bytes.count {
                if bytes[at] == from[0], Array(bytes[at..<(at + from.count)]) == from {
                    bytes.replaceSubrange(at..<(at + from.count), with: to)
                    tampered += 1
                    at += from.count
                } else {
                    at += 1
                }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        #expect(tampered > 0, "no audit entry recorded the role as JSON; the tamper changed nothing")

        let verify = try WardenProcess.run(["audit", "verify", "--data", "data"], in: workspace)
        #expect(verify.status == 1, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("problem: entry #\(index) "), "\(verify.stdout)")
        #expect(verify.stdout.contains("was edited"), "\(verify.stdout)")
        #expect(verify.stdout.contains("NOT verified"), "\(verify.stdout)")
        let report = try WardenProcess.run(["audit", "verify", "--json", "--data", "data"], in: workspace)
        #expect(report.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stdout)")
        #expect(object["valid"] as? Bool == false && object["size"] as? Int == index, "\(object)")

        // Proofs are never made from a log that does not verify.
        let prove = try WardenProcess.run(["audit", "prove", "0", "--data", "data"], in: workspace)
        #expect(prove.status == 1, "\(prove.stdout)\(prove.stderr)")
        #expect(prove.stderr.contains("the audit log does not verify: entry #\(index)"), "\(prove.stderr)")
    }
}
