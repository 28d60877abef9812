import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenServing

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout",
        abstract: "Move traffic from production to a candidate step by step; metrics decide, and a bad candidate rolls itself back.",
        subcommands: [Start.self, Status.self, Pause.self, Resume.self, Promote.self, Abort.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a rollout of NAME to VERSION (needs a deployer token).")
        @Argument var name: String
        @Option(name: .long, help: "The candidate version.") var to: String
        @Option(name: .long, help: "Candidate weights in percent, ending at 100; 0 first for a pure shadow or header test (0,100).") var steps = RolloutDefaults.steps.map(String.init).joined(separator: ",")
        @Option(name: .long, help: "How long each step is held before its window is judged (30s, 2m, 500ms).") var interval = "\(Int(RolloutDefaults.interval.inSeconds))s"
        @Option(name: .long, help: "Above this error rate a window fails (server errors; client errors too with --count-client-errors).") var maxErrorRate = RolloutDefaults.maxErrorRate
        @Option(name: .long, help: "Above this p99 latency (ms) a window fails.") var maxP99Ms: Double?
        @Option(name: .long, help: "Windows with fewer requests are inconclusive: the step waits.") var minRequests = RolloutDefaults.minRequests
        @Option(name: .long, help: "Failed windows in a row that abort the rollout.") var failureLimit = RolloutDefaults.failureLimit
        @Flag(name: .long, help: "Count requests refused as the client's fault (4xx: wrong shape, bad input) as candidate errors.") var countClientErrors = false
        @Option(name: .long, help: "Percent of stable's requests mirrored to the candidate.") var shadow = 0
        @Option(name: .long, help: "Above this input drift PSI (any feature, against the card's references) a window fails.") var maxDriftPsi: Double?
        @Option(name: .long, help: "Below this top-1 agreement with stable on shadowed requests a window fails.") var minShadowAgreement: Double?
        @Option(name: .long, help: ArgumentHelp("Requests with this header go to the candidate.", valueName: "header=value")) var match: String?
        @Option(name: .long, help: "A header whose value keeps a caller on one version.") var stickyHeader: String?
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let weights = try steps.split(separator: ",").map { part -> Int in
                    guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else { throw WardenError(.invalidArgument, "--steps takes percentages such as 5,25,50,100, not '\(steps)'") }
                    return value
                }
                var settings: [String: Any] = [
                    "candidate": to, "steps": weights, "interval_seconds": try Self.seconds(interval), "max_error_rate": maxErrorRate,
                    "min_requests": minRequests, "failure_limit": failureLimit, "shadow": shadow,
                ]
                if let maxP99Ms { settings["max_p99_ms"] = maxP99Ms }
                if let maxDriftPsi { settings["max_drift_psi"] = maxDriftPsi }
                if let minShadowAgreement { settings["min_shadow_agreement"] = minShadowAgreement }
                if let match { settings["match"] = match }
                if let stickyHeader { settings["sticky_header"] = stickyHeader }
                if countClientErrors { settings["count_client_errors"] = true }
                let rollout = try await options.client.startRollout(model: name, settings: settings)
                if json { printJSON(rollout) } else { print(RolloutCommand.describe(rollout), terminator: "") }
            }
        }

        static func seconds(_ text: String) throws -> Double {
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
            for (suffix, scale) in units where text.hasSuffix(suffix) {
                if let value = Double(text.dropLast(suffix.count)), value > 0 { return value * scale }
            }
            if let value = Double(text), value > 0 { return value }
            throw WardenError(.invalidArgument, "--interval takes a duration such as 30s, 2m or 500ms, not '\(text)'")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the rollout: phase, weight, each version's counters and every window's verdict.")
        @Argument var name: String
        @Flag(name: .long, help: "Refresh every second until the rollout finishes.") var watch = false
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                for _ in 0..<(watch ? 86_400 : 1) {
                    let rollout = try await options.client.rollout(model: name)
                    if json { printJSON(rollout) } else { print(RolloutCommand.describe(rollout), terminator: "") }
                    let phase = rollout["phase"] as? String ?? ""
                    guard watch, phase == "progressing" || phase == "paused" else { break }
                    try await Task.sleep(for: .seconds(1))
                    print("")
                }
            }
        }
    }

    /// Sends a command (pause, resume, promote, abort) to the running rollout and prints the result.
    static func send(_ command: String, model: String, reason: String?, options: ClientOptions, json: Bool) async throws {
        try await runReportingAsync(json: json) {
            let rollout = try await options.client.controlRollout(model: model, command: command, reason: reason)
            if json { printJSON(rollout) } else { print(describe(rollout), terminator: "") }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hold the rollout at its step.")
        @Argument var name: String
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false
        func run() async throws { try await RolloutCommand.send("pause", model: name, reason: nil, options: options, json: json) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused rollout.")
        @Argument var name: String
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false
        func run() async throws { try await RolloutCommand.send("resume", model: name, reason: nil, options: options, json: json) }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Promote the candidate now: production moves to it.")
        @Argument var name: String
        @Option(name: .long) var reason: String?
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false
        func run() async throws { try await RolloutCommand.send("promote", model: name, reason: reason, options: options, json: json) }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Abort: all traffic back to stable, the candidate marked failed.")
        @Argument var name: String
        @Option(name: .long) var reason: String?
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false
        func run() async throws { try await RolloutCommand.send("abort", model: name, reason: reason, options: options, json: json) }
    }

    static func describe(_ rollout: [String: Any]) -> String {
        var out = "\(rollout["model"] as? String ?? "?"): \(rollout["stable"] as? String ?? "?") -> \(rollout["candidate"] as? String ?? "?")  \(rollout["phase"] as? String ?? "?")  candidate weight \(rollout["weight"] as? Int ?? 0)%\n"
        let versions = rollout["versions"] as? [[String: Any]] ?? []
        func ms(_ value: Any?) -> String { (value as? Double).map { String(format: "%.3f", $0) } ?? "-" }
        out += table(["VERSION", "WEIGHT", "REQUESTS", "ERRORS", "CLIENT ERRORS", "P50 MS", "P95 MS", "P99 MS"], versions.map { version in
            let name = version["version"] as? String ?? ""
            let weight = name == rollout["candidate"] as? String ? rollout["weight"] as? Int ?? 0 : 100 - (rollout["weight"] as? Int ?? 0)
            return [
                name, "\(weight)%", "\(version["requests"] as? Int ?? 0)", "\(version["errors"] as? Int ?? 0)", "\(version["client_errors"] as? Int ?? 0)",
                ms(version["p50_ms"]), ms(version["p95_ms"]), ms(version["p99_ms"]),
            ]
        })
        // Every version over the last judged window: stable beside the candidate.
        let judged = versions.compactMap { version in (version["last_window"] as? [String: Any]).map { (version["version"] as? String ?? "", $0) } }
        if !judged.isEmpty {
            out += "last window:\n"
            out += table(["VERSION", "REQUESTS", "ERRORS", "CLIENT ERRORS", "ERROR RATE", "P50 MS", "P95 MS", "P99 MS", "DRIFT PSI", "SHADOW TOP-1"], judged.map { name, window in
                [
                    name, "\(window["requests"] as? Int ?? 0)", "\(window["errors"] as? Int ?? 0)", "\(window["client_errors"] as? Int ?? 0)",
                    String(format: "%.4f", window["error_rate"] as? Double ?? 0), ms(window["p50_ms"]), ms(window["p95_ms"]), ms(window["p99_ms"]),
                    ms(window["drift_psi_max"]), ms(window["shadow_top1_agreement"]),
                ]
            })
        }
        if let shadow = rollout["shadow"] as? [String: Any] {
            out += "shadow: \(shadow["compared"] as? Int ?? 0) compared, top-1 agreement \(String(format: "%.4f", shadow["top1_agreement"] as? Double ?? 0)), "
                + "largest output difference \(String(format: "%.6g", shadow["max_abs_diff"] as? Double ?? 0)), candidate errors \(shadow["candidate_errors"] as? Int ?? 0)\n"
        }
        let windows = rollout["windows"] as? [[String: String]] ?? []
        for (index, window) in windows.enumerated() {
            out += "window \(index + 1): \(window["verdict"] ?? "?")\(window["reason"].map { " (\($0))" } ?? "")\n"
        }
        return out
    }
}
