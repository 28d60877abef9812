import ArgumentParser
import Foundation
import WardenAPI
import WardenClient
import WardenCore

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the registry's models.")

    @Option(name: .long, help: "Only names starting with this.")
    var prefix: String?

    @Option(name: .long, help: "Only models with this tag.")
    var tag: String?

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let models = try await Self.all(options.client, prefix: prefix, tag: tag)
            if json {
                printJSON(["models": models])
            } else {
                print(Self.table(models), terminator: "")
            }
        }
    }

    /// Every model the listing names, page after page.
    static func all(_ client: RegistryClient, prefix: String?, tag: String?) async throws -> [ModelResource] {
        var models: [ModelResource] = []
        var cursor: String?
        repeat {
            let page = try await client.models(prefix: prefix, tag: tag, cursor: cursor)
            models += page.models
            cursor = page.nextCursor
        } while cursor != nil
        return models
    }

    static func table(_ models: [ModelResource]) -> String {
        warden.table(["NAME", "TAGS", "UPDATED", "DESCRIPTION"], models.map {
            [$0.name, $0.tags.joined(separator: ","), RFC3339.string(from: $0.updatedAt), $0.description]
        })
    }
}

struct VersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "versions", abstract: "List a model's versions in SemVer order.")

    @Argument(help: "The model's name.")
    var name: String

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let versions = try await options.client.versions(of: name)
            if json {
                printJSON(VersionList(model: name, versions: versions))
            } else {
                print(table(["VERSION", "BUMP", "SIZE", "SIGNED", "CREATED", "BY", "MANIFEST"], versions.map { version in
                    [
                        version.version + (version.yanked ? " (yanked)" : ""),
                        version.requiredBump ?? "-",
                        byteSize(version.size),
                        version.signed ? "yes" : "no",
                        RFC3339.string(from: version.createdAt),
                        version.createdBy,
                        String(version.manifestDigest.prefix(19)),
                    ]
                }), terminator: "")
            }
        }
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one version: files, signers, lineage and its inspection.")

    @Argument(help: "name@VERSION, name:ALIAS or name (the latest release).")
    var reference: String

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let record = try await options.client.resolve(try ModelReference(parsing: reference))
            if json {
                printJSON(record)
                return
            }
            let summary = record.summary
            var rows: [(String, String)] = [
                ("version", "\(summary.model)@\(summary.version)" + (summary.yanked ? " (yanked: \(summary.yankReason ?? "no reason"))" : "")),
                ("manifest", summary.manifestDigest),
                ("created", "\(RFC3339.string(from: summary.createdAt)) by \(summary.createdBy)"),
                ("signers", summary.signers.isEmpty ? "none" : summary.signers.joined(separator: ", ")),
            ]
            if let bump = summary.requiredBump, let baseline = summary.baseline { rows.append(("change", "\(bump) from \(baseline)")) }
            let lineage = [
                ("code_revision", record.lineage.codeRevision), ("dataset", record.lineage.dataset),
                ("parent", record.lineage.parent), ("run_url", record.lineage.runURL),
            ].compactMap { key, value in value.map { "\(key) \($0)" } }
            if !lineage.isEmpty { rows.append(("lineage", lineage.joined(separator: ", "))) }
            let description = jsonObject(record.description)
            if let signature = description["signature"] as? [String: Any] {
                for side in ["inputs", "outputs"] {
                    for (index, tensor) in (signature[side] as? [[String: Any]] ?? []).enumerated() {
                        let shape = (tensor["shape"] as? [Any]).map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" } ?? "[*]"
                        rows.append((index == 0 ? side : "", "\(tensor["name"] as? String ?? "") \(tensor["dtype"] as? String ?? "") \(shape)"))
                    }
                }
                if let onnx = description["onnx"] as? [String: Any] {
                    rows.append(("topology", onnx["topology_fingerprint"] as? String ?? ""))
                    rows.append(("weights", onnx["weights_digest"] as? String ?? ""))
                }
            }
            for (index, file) in record.files.enumerated() {
                rows.append((index == 0 ? "files" : "", "\(file.path)  \(byteSize(file.size))  \(file.digest)"))
            }
            let width = rows.map(\.0.count).max() ?? 0
            print(rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n"))
        }
    }
}
