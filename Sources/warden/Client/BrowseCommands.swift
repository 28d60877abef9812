import ArgumentParser
import Foundation
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
    static func all(_ client: RegistryClient, prefix: String?, tag: String?) async throws -> [RegistryClient.Object] {
        var models: [RegistryClient.Object] = []
        var cursor: String?
        repeat {
            let page = try await client.models(prefix: prefix, tag: tag, cursor: cursor)
            models += page["models"] as? [RegistryClient.Object] ?? []
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        return models
    }

    static func table(_ models: [RegistryClient.Object]) -> String {
        warden.table(["NAME", "TAGS", "UPDATED", "DESCRIPTION"], models.map {
            [$0["name"] as? String ?? "", ($0["tags"] as? [String] ?? []).joined(separator: ","), $0["updated_at"] as? String ?? "", $0["description"] as? String ?? ""]
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
                printJSON(["model": name, "versions": versions])
            } else {
                print(table(["VERSION", "BUMP", "SIZE", "SIGNED", "CREATED", "BY", "MANIFEST"], versions.map { version in
                    [
                        (version["version"] as? String ?? "") + ((version["yanked"] as? Bool ?? false) ? " (yanked)" : ""),
                        version["required_bump"] as? String ?? "-",
                        byteSize((version["size"] as? NSNumber)?.int64Value ?? 0),
                        (version["signed"] as? Bool ?? false) ? "yes" : "no",
                        version["created_at"] as? String ?? "",
                        version["created_by"] as? String ?? "",
                        String((version["manifest_digest"] as? String ?? "").prefix(19)),
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
            var rows: [(String, String)] = [
                ("version", "\(record["model"] as? String ?? "")@\(record["version"] as? String ?? "")" + ((record["yanked"] as? Bool ?? false) ? " (yanked: \(record["yank_reason"] as? String ?? "no reason"))" : "")),
                ("manifest", record["manifest_digest"] as? String ?? ""),
                ("created", "\(record["created_at"] as? String ?? "") by \(record["created_by"] as? String ?? "")"),
                ("signers", (record["signers"] as? [String]).map { $0.isEmpty ? "none" : $0.joined(separator: ", ") } ?? "none"),
            ]
            if let bump = record["required_bump"] as? String, let baseline = record["baseline"] as? String { rows.append(("change", "\(bump) from \(baseline)")) }
            if let lineage = (record["lineage"] as? [String: Any])?.filter({ !($0.value is NSNull) }), !lineage.isEmpty {
                rows.append(("lineage", lineage.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            }
            if let description = record["description"] as? [String: Any], let signature = description["signature"] as? [String: Any] {
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
            for (index, file) in (record["files"] as? [[String: Any]] ?? []).enumerated() {
                rows.append((index == 0 ? "files" : "", "\(file["path"] as? String ?? "")  \(byteSize((file["size"] as? NSNumber)?.int64Value ?? 0))  \(file["digest"] as? String ?? "")"))
            }
            let width = rows.map(\.0.count).max() ?? 0
            print(rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n"))
        }
    }
}
