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
}
