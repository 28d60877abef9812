import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenModel
import WardenTensor

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Move production back to the version it named before (or to --to VERSION), and report what changed.",
        discussion: """
            Needs a deployer token. The serving side hot-swaps to the version with zero failed requests; \
            the command waits (up to --wait seconds) until the server answers from it and says how long that took. \
            The report shows the two versions, the diff between them and the reason given.
            """
    )

    @Argument(help: "The model.")
    var name: String

    @Option(name: .long, help: ArgumentHelp("The version to go back to (default: the one production named before).", valueName: "version"))
    var to: String?

    @Option(name: .long, help: "Why, for the report and the audit log's reader.")
    var reason: String?

    @Option(name: .long, help: "Seconds to wait for the server to answer from the version (0: do not wait).")
    var wait: Double = 10

    @OptionGroup var options: ClientOptions

    @Flag(name: .long) var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let client = options.client
            // During a rollout, production still names stable: rolling back stops the candidate's traffic.
            if to == nil, let rollout = try? await client.rollout(model: name), let phase = rollout["phase"] as? String, phase == "progressing" || phase == "paused" {
                let after = try await client.controlRollout(model: name, command: "rollback", reason: reason)
                if json {
                    printJSON(["model": name, "rollout": after, "reason": reason ?? ""])
                } else {
                    print("rolled back the rollout of \(name): all traffic to \(after["stable"] as? String ?? "stable"), candidate \(after["candidate"] as? String ?? "?") stopped (it was \(phase) at \(rollout["weight"] as? Int ?? 0)%)")
                    print("reason: \(reason ?? "(none given)")")
                    print(RolloutCommand.describe(after), terminator: "")
                }
                return
            }
            let current = try await client.alias(model: name, "production").version
            guard let currentVersion = SemanticVersion(current) else {
                throw WardenError(.notFound, "\(name) has no production alias to roll back; set one with warden alias set \(name) production VERSION")
            }
            let target: SemanticVersion
            if let to {
                target = try SemanticVersion(parsing: to)
            } else {
                // The newest move that put production on the current version came from the previous one.
                let history = try await client.aliasHistory(model: name, "production")
                guard let move = history.first(where: { $0.to == current && $0.from != nil }),
                      let from = move.from, let previous = SemanticVersion(from) else {
                    throw WardenError(.notFound, "production on \(name) has named no other version before \(current); pass --to VERSION")
                }
                target = previous
            }
            guard target != currentVersion else {
                throw WardenError(.invalidArgument, "production already names \(name)@\(target); nothing to roll back")
            }
            _ = try await client.setAlias(model: name, "production", to: target)

            var servedAfter: Double?
            if wait > 0 {
                let environment = ProcessInfo.processInfo.environment
                let server = options.server ?? environment["WARDEN_SERVER"] ?? "http://127.0.0.1:8080"
                let start = Date()
                while Date().timeIntervalSince(start) < wait {
                    if let version = try? await InferenceClient(server: server, token: nil).readyVersion(model: name), version == target.description {
                        servedAfter = Date().timeIntervalSince(start)
                        break
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }

            // The diff between what served and what serves now.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("warden-rollback-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let oldPath = try await DiffCommand.local("\(name)@\(current)", client: client, scratch: (scratch as NSString).appendingPathComponent("old"))
            let newPath = try await DiffCommand.local("\(name)@\(target)", client: client, scratch: (scratch as NSString).appendingPathComponent("new"))
            let diff = try ModelDiff(from: oldPath, to: newPath)

            if json {
                printJSON([
                    "model": name, "from": current, "to": target.description, "reason": reason ?? "",
                    "served_after_seconds": servedAfter as Any, "diff": diff.jsonObject,
                ])
            } else {
                print("rolled back \(name): production \(current) -> \(target)")
                print("reason: \(reason ?? "(none given)")")
                if let servedAfter {
                    print(String(format: "served: the server answers from %@ after %.0f ms", target.description, servedAfter * 1000))
                } else if wait > 0 {
                    print("served: the server did not answer from \(target) within \(wait) s (see POST /v2/repository/index for the reason)")
                }
                print("\ndiff \(current) -> \(target)")
                print(DiffReport(diff, limit: 10).text, terminator: "")
            }
        }
    }
}
