import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenIntegrity
import WardenModel
import WardenONNX

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two models and say which version bump the change requires.",
        discussion: """
            A and B are model directories, .onnx files, or registry references (name@1.2.0, name:alias), \
            which are downloaded from --server first (A the old one). Reports files added, removed and changed; \
            IO changes classified as breaking or compatible; whether the topology changed, by op type; each \
            initializer's shape or value change; and the required bump: MAJOR for a breaking IO change, MINOR for a \
            topology or compatible IO change, PATCH when only values or other files changed, NONE when identical. \
            Exit 0 whatever the bump; exit 2 when a model cannot be read.
            """
    )

    @Argument(help: "The old model directory or file.")
    var old: String

    @Argument(help: "The new model directory or file.")
    var new: String

    @Flag(name: .long, help: "Print the difference as JSON.")
    var json = false

    @Option(name: .long, help: "How many initializer changes to list (the largest relative change first); 0 for all.")
    var limit = 20

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await runReportingAsync(json: json) {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("warden-diff-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let oldPath = try await Self.local(old, client: options.client, scratch: (scratch as NSString).appendingPathComponent("old"))
            let newPath = try await Self.local(new, client: options.client, scratch: (scratch as NSString).appendingPathComponent("new"))
            let diff = try ModelDiff(from: oldPath, to: newPath)
            if json {
                printJSON(diff.jsonObject)
            } else {
                print(DiffReport(diff, limit: limit).text, terminator: "")
            }
        }
    }
}

extension DiffCommand {
    /// A path as it is; a registry reference downloaded into `scratch`.
    static func local(_ argument: String, client: RegistryClient, scratch: String) async throws -> String {
        if FileManager.default.fileExists(atPath: argument) { return argument }
        // Only explicit references go to the registry: a bare word is a path that does not exist.
        guard argument.contains("@") || argument.contains(":"), let reference = try? ModelReference(parsing: argument) else {
            throw WardenError(.pathNotFound, "'\(argument)' does not exist; pass a model directory, an .onnx file or a registry reference (name@1.2.0, name:alias)")
        }
        let record = try await client.resolve(reference)
        guard let version = SemanticVersion(record.summary.version) else {
            throw WardenError(.ioFailure, "the registry's answer for \(reference) names version '\(record.summary.version)', which is not SemVer")
        }
        for file in record.files {
            try ResourceName.validatePath(file.path, at: "\(reference) files")
            _ = try await client.download(model: reference.name, version: version, path: file.path, to: (scratch as NSString).appendingPathComponent(file.path))
        }
        return scratch
    }
}

/// The human-readable `warden diff` report.
struct DiffReport {
    let diff: ModelDiff
    let limit: Int

    init(_ diff: ModelDiff, limit: Int) {
        self.diff = diff
        self.limit = limit
    }

    var text: String {
        let change = diff.assessment
        var out = "required bump: \(change.required)\n"
        for reason in change.reasons { out += "  - \(reason)\n" }

        if let files = change.files, !files.isEmpty {
            out += "\nfiles\n"
            for name in files.added { out += "  + \(display(name))  \(digest(diff.new, name))\n" }
            for name in files.removed { out += "  - \(display(name))  \(digest(diff.old, name))\n" }
            for name in files.changed { out += "  ~ \(display(name))  \(digest(diff.old, name)) -> \(digest(diff.new, name))\n" }
        }

        if !change.ioChanges.isEmpty {
            out += "\nio\n"
            for io in change.ioChanges { out += "  \(io.isBreaking ? "breaking  " : "compatible") \(io.detail)\n" }
        }

        if let a = diff.old.onnx, let b = diff.new.onnx {
            out += "\ntopology \(change.topologyChanged ? "changed" : "unchanged")  \(a.topologyFingerprint.hex.prefix(12)) -> \(b.topologyFingerprint.hex.prefix(12))\n"
            for op in change.opCountChanges {
                let delta = op.after - op.before
                out += "  \(delta > 0 ? "+" : "")\(delta) \(op.op)  (\(op.before) -> \(op.after))\n"
            }
            for opset in change.opsetChanges { out += "  \(opset)\n" }
        }

        if !diff.initializers.isEmpty {
            out += "\ntrained values (\(diff.initializers.count) tensors changed)\n"
            let sorted = diff.initializers.sorted { score($0) > score($1) }
            for item in limit > 0 ? Array(sorted.prefix(limit)) : sorted { out += "  " + describe(item) + "\n" }
            if limit > 0, sorted.count > limit { out += "  … \(sorted.count - limit) more (--limit 0 lists all)\n" }
        }
        return out
    }

    /// A single-file model's one resource is named "." (as OMS names it); show the files instead.
    private func display(_ name: String) -> String {
        name == "." ? "\(URL(fileURLWithPath: diff.old.path).lastPathComponent) -> \(URL(fileURLWithPath: diff.new.path).lastPathComponent)" : name
    }

    private func digest(_ model: ModelDescription, _ name: String) -> String {
        model.files?[name].map { String($0.hex.prefix(12)) } ?? "?"
    }

    private func score(_ change: InitializerChange) -> Double {
        switch change.kind {
        case .added, .removed, .reshaped: .infinity
        case .bytesChanged: 1
        case .valuesChanged(let stats): stats.relativeL2Change
        }
    }

    private func describe(_ change: InitializerChange) -> String {
        let name = change.oldName.map { "\($0) -> \(change.name)" } ?? change.name
        switch change.kind {
        case .added: return "+ \(name)"
        case .removed: return "- \(name)"
        case .reshaped(let from, let to): return "~ \(name)  shape \(from) -> \(to)"
        case .bytesChanged: return "~ \(name)  values changed"
        case .valuesChanged(let stats):
            return String(
                format: "~ %@  max |Δ| %.4g, relative L2 %.4g, %.1f%% of %d elements changed",
                name, stats.maxAbsoluteDifference, stats.relativeL2Change, stats.changedFraction * 100, stats.elementCount
            )
        }
    }
}
