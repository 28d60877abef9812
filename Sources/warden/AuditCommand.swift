import ArgumentParser
import Foundation
import WardenCore
import WardenIntegrity
import WardenRegistry

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read and verify the tamper-evident audit log: every registry change as a leaf of a Merkle tree with signed checkpoints.",
        discussion: """
            The log lives in the data directory (warden.db) and is signed with DATA/audit.key; DATA/audit.pub is the \
            verifier key anyone can check checkpoints and proofs with. log, verify, prove and consistency read the data \
            directory; verify-proof needs only the public key and a proof file.
            """,
        subcommands: [Log.self, Verify.self, Prove.self, Consistency.self, VerifyProof.self]
    )

    struct DataOption: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("The data directory (default ./warden-data).", valueName: "dir"))
        var data: String = "./warden-data"

        /// Opens the folder's log; says on stderr when a server is running on it (the log
        /// may then grow while it is read, which proofs and verification allow for).
        func open() throws -> (store: SQLiteMetadataStore, verifier: NoteVerifier) {
            let folder = DataDirectory(data)
            try folder.requireRegistry()
            if let pid = folder.runningServer() { printServerNote(pid, folder) }
            return (try SQLiteMetadataStore(path: folder.database), try AuditCommand.verifier(at: folder.auditPublicKey))
        }

        /// Verifies the whole log; its problems end the command.
        func verified() async throws -> (AuditVerification, [AuditEntry]) {
            let (store, verifier) = try open()
            let entries = try await store.auditEntries()
            let check = AuditVerification(entries: entries, verifier: verifier, stateSize: try await store.auditStateSize())
            guard check.isValid else {
                throw WardenError(.modelModified, "the audit log does not verify: \(check.problems.map(\.message).joined(separator: "; ")); run warden audit verify")
            }
            return (check, entries)
        }
    }

    static func verifier(at path: String) throws -> NoteVerifier {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw WardenError(.pathNotFound, "cannot read the log's verifier key '\(path)'; the server writes DATA/audit.pub on start")
        }
        return try NoteVerifier(verifierKey: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries: position, time, actor, action, subject and detail.")

        @OptionGroup var options: DataOption

        @Option(name: .long, help: "Only entries about this model.")
        var model: String?

        @Option(name: .long, help: ArgumentHelp("Only entries at or after this time (2026-11-25 or 2026-11-25T10:00:00Z).", valueName: "time"))
        var since: String?

        @Flag(name: .long, help: "Print JSON lines: the entries exactly as hashed.")
        var json = false

        func run() async throws {
            try await runReportingAsync {
                let (store, _) = try options.open()
                var cutoff: Int64?
                if let since {
                    let formatter = ISO8601DateFormatter()
                    let day = ISO8601DateFormatter()
                    day.formatOptions = [.withFullDate]
                    guard let date = formatter.date(from: since) ?? day.date(from: since) else {
                        throw WardenError(.invalidArgument, "--since takes a date (2026-11-25) or a time (2026-11-25T10:00:00Z), not '\(since)'")
                    }
                    cutoff = Int64(date.timeIntervalSince1970 * 1000)
                }
                for entry in try await store.auditEntries() {
                    let object = (try? JSONSerialization.jsonObject(with: Data(entry.entry.utf8)) as? [String: Any]) ?? [:]
                    if let model, object["model"] as? String != model { continue }
                    if let cutoff, ((object["at"] as? Int).map(Int64.init) ?? 0) < cutoff { continue }
                    if json {
                        print(entry.entry)
                        continue
                    }
                    let at = (object["at"] as? Int).map { Date(timeIntervalSince1970: Double($0) / 1000) }.map { ISO8601DateFormatter().string(from: $0) } ?? "?"
                    var subject = (object["model"] as? String) ?? ""
                    if let version = object["version"] as? String { subject += "@\(version)" }
                    if let alias = object["alias"] as? String { subject += ":\(alias)" }
                    let detail = (object["detail"] as? [String: Any]).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                    print("#\(entry.index)  \(at)  \(object["actor"] as? String ?? "?")  \(object["action"] as? String ?? "?")  \(subject)  \(detail)")
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the Merkle tree from every entry and check it against the signed checkpoints.",
            discussion: "Exit 0 when the log verifies, 1 naming the first entry that was edited, deleted, inserted or reordered."
        )

        @OptionGroup var options: DataOption

        @Option(name: .long, help: ArgumentHelp("A checkpoint saved earlier (a signed note file) the log must still contain.", valueName: "file"))
        var checkpoint: String?

        @Flag(name: .long, help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let (store, verifier) = try options.open()
                var earlier: String?
                if let checkpoint {
                    guard let text = try? String(contentsOfFile: checkpoint, encoding: .utf8) else {
                        throw WardenError(.pathNotFound, "cannot read the checkpoint '\(checkpoint)'")
                    }
                    earlier = text
                }
                let events = try await store.events(after: 0, limit: Int.max).map(\.sequence)
                let check = AuditVerification(
                    entries: try await store.auditEntries(), verifier: verifier, eventSequences: events,
                    stateSize: try await store.auditStateSize(), earlier: earlier
                )
                if json {
                    printJSON(["valid": check.isValid, "size": check.verified, "root": Hex.encode(check.root), "problems": check.problems.map(\.message), "checkpoint": check.latestCheckpoint as Any])
                } else {
                    print("checked \(check.verified) entr\(check.verified == 1 ? "y" : "ies") against key \(verifier.keyName)")
                    for problem in check.problems { print("problem: \(problem.message)") }
                    if check.isValid, let latest = check.latestCheckpoint { print(latest, terminator: "") }
                    print(check.isValid ? "verified" : "NOT verified")
                }
                if !check.isValid { throw ExitCode(1) }
            }
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an inclusion proof (JSON) of entry ENTRY in the latest checkpoint; check it with verify-proof.")

        @OptionGroup var options: DataOption

        @Argument(help: ArgumentHelp("The entry's position (#N in warden audit log).", valueName: "entry"))
        var entry: Int

        func run() async throws {
            try await runReportingAsync {
                let (check, entries) = try await options.verified()
                guard entry >= 0, entry < entries.count, let checkpoint = check.latestCheckpoint else {
                    throw WardenError(.notFound, "the log has \(entries.count) entries (#0 to #\(entries.count - 1)); there is no entry #\(entry)")
                }
                let proof = try MerkleTree.inclusionProof(index: entry, leafHashes: check.leafHashes)
                printJSON([
                    "type": "inclusion", "entry": entries[entry].entry, "index": entry, "tree_size": entries.count,
                    "hashes": proof.map { Hex.encode($0) }, "checkpoint": checkpoint,
                ])
            }
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a consistency proof (JSON) that the tree of NEW entries extends the tree of OLD entries.")

        @OptionGroup var options: DataOption

        @Argument(help: "The older tree size.")
        var old: Int

        @Argument(help: "The newer tree size.")
        var new: Int

        func run() async throws {
            try await runReportingAsync {
                let (check, entries) = try await options.verified()
                guard old >= 1, old <= new, new <= entries.count else {
                    throw WardenError(.invalidArgument, "need 1 ≤ OLD ≤ NEW ≤ \(entries.count) (the log's size), got \(old) and \(new)")
                }
                let proof = try MerkleTree.consistencyProof(old: old, leafHashes: Array(check.leafHashes.prefix(new)))
                printJSON([
                    "type": "consistency", "old_size": old, "new_size": new,
                    "old_checkpoint": entries[old - 1].checkpoint, "new_checkpoint": entries[new - 1].checkpoint,
                    "hashes": proof.map { Hex.encode($0) },
                ])
            }
        }
    }

    struct VerifyProof: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-proof",
            abstract: "Check an inclusion or consistency proof offline, with only the log's public key.",
            discussion: "Exit 0 when it verifies, 1 when it does not."
        )

        @Option(name: .long, help: ArgumentHelp("The log's verifier key (DATA/audit.pub).", valueName: "file"))
        var key: String

        @Argument(help: "The proof file that prove or consistency printed.")
        var proof: String

        func run() async throws {
            try await runReportingAsync {
                let verifier = try AuditCommand.verifier(at: key)
                guard let data = FileManager.default.contents(atPath: proof) else { throw WardenError(.pathNotFound, "cannot read the proof '\(proof)'") }
                let root = try JSONField.parse(Array(data), what: "the proof", code: .malformedSignature)
                func hashes() throws -> [[UInt8]] {
                    try root.field("hashes").array().map { field in
                        guard let bytes = Hex.decode(try field.string()), bytes.count == 32 else { throw field.error("must be a 32-byte hex hash") }
                        return bytes
                    }
                }
                func checkpoint(_ name: String) throws -> Checkpoint {
                    try Checkpoint.verified(try root.field(name).string(), by: verifier)
                }
                do {
                    switch try root.field("type").string() {
                    case "inclusion":
                        let signed = try checkpoint("checkpoint")
                        let index = try root.field("index").integer()
                        let size = try root.field("tree_size").integer()
                        guard index >= 0, size == Int64(signed.size) else {
                            throw WardenError(.digestMismatch, "the proof is for a tree of \(size) entries, but the checkpoint has \(signed.size)")
                        }
                        let entry = try root.field("entry").string()
                        try MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(Array(entry.utf8)), index: Int(index), treeSize: Int(size), proof: hashes(), root: signed.rootHash)
                        print("verified: entry #\(index) is in the log of \(size) entries signed by \(verifier.keyName)")
                    case "consistency":
                        let old = try checkpoint("old_checkpoint")
                        let new = try checkpoint("new_checkpoint")
                        try MerkleTree.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.rootHash, newRoot: new.rootHash, proof: hashes())
                        print("verified: the log of \(new.size) entries extends the log of \(old.size) entries, both signed by \(verifier.keyName)")
                    case let other:
                        throw WardenError(.malformedSignature, "type: '\(other)' is not a proof type (inclusion, consistency)")
                    }
                } catch let error as WardenError where error.code != .malformedSignature && error.code != .pathNotFound {
                    FileHandle.standardError.write(Data("error: the proof does not verify: \(error.message)\n".utf8))
                    throw ExitCode(1)
                }
            }
        }
    }
}
