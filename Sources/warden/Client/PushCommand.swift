import ArgumentParser
import Foundation
import WardenClient
import WardenCore
import WardenIntegrity
import WardenModel
import Synchronization

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Publish a model directory as a new version: upload only the blobs the registry lacks, then create the version.",
        discussion: """
            The version comes from --version, or from --bump applied to the model's latest release: \
            'auto' downloads the latest version, compares it with PATH and bumps as the change requires. \
            The signature is --sign KEY (signed now), --signature FILE, or PATH/model.sig when the model folder holds one; \
            a model.sig beside the folder is never picked up on its own (it may belong to another model): name it with --signature. \
            The folder is described (format, IO, card) before anything is uploaded, so a folder Warden cannot read uploads nothing. \
            Exit 1 when the registry refuses the version number or the signature; 2 for other errors.
            """
    )

    @Argument(help: "The model directory.")
    var path: String

    @Option(name: .long, help: "The model's name in the registry.")
    var name: String

    @Option(name: .long, help: "The version to publish, e.g. 1.4.0.")
    var version: String?

    @Option(name: .long, help: "Bump the latest release instead: auto, major, minor or patch.")
    var bump: Publisher.Bump?

    @Option(name: .long, help: ArgumentHelp("Sign with this private key before pushing.", valueName: "key"))
    var sign: String?

    @Option(name: .long, help: ArgumentHelp("An existing signature bundle to push.", valueName: "file"))
    var signature: String?

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print the created version as JSON.")
    var json = false

    func validate() throws {
        if (version == nil) == (bump == nil) { throw ValidationError("pass exactly one of --version V and --bump auto|major|minor|patch") }
        if sign != nil, signature != nil { throw ValidationError("pass --sign KEY or --signature FILE, not both") }
        try ModelReference.validateName(name)
    }

    func run() async throws {
        try await runReportingAsync(json: json) {
            let signing: Publisher.Signing = sign.map { .key($0) } ?? signature.map { .bundle($0) } ?? .discover
            let choice: Publisher.VersionChoice = try version.map { .exact(try SemanticVersion(parsing: $0)) } ?? .bump(bump ?? .auto)
            let display = PublishDisplay(quiet: json)
            defer { display.finish() }
            let result = try await Publisher(client: options.client).publish(
                Publisher.Request(model: name, path: path, version: choice, signing: signing),
                events: display.show
            )
            display.finish()
            if json {
                var object = jsonObject(result.response)
                object["uploaded_blobs"] = result.uploadedBlobs
                object["uploaded_bytes"] = result.uploadedBytes
                printJSON(object)
            } else {
                print("\(result.created ? "published" : "already published") \(name)@\(result.version) \(result.manifestDigest)")
                print(String(format: "uploaded %d of %d blob(s), %@ in %.2f s", result.uploadedBlobs, result.totalBlobs, byteSize(result.uploadedBytes), result.uploadSeconds))
                if let required = result.requiredBump, let baseline = result.baseline {
                    print("change from \(baseline): \(required)")
                }
                if !result.signers.isEmpty { print("signed by \(result.signers.joined(separator: ", "))") }
            }
        }
    }
}

/// What `warden push` shows on stderr as the publish advances: which signature it used,
/// progress bars for hashing and uploading (on a terminal), and what it waits for after.
final class PublishDisplay: Sendable {
    private let quiet: Bool
    private let bar = Mutex<ProgressBar?>(nil)

    init(quiet: Bool) {
        self.quiet = quiet
    }

    @Sendable func show(_ event: Publisher.Event) {
        switch event {
        case .signature(let path):
            if !quiet { FileHandle.standardError.write(Data("signature: \(path)\n".utf8)) }
        case .hashing(let progress):
            replaceBar(ProgressBar(label: "hashing", progress: progress))
        case .change(let latest, let required, let reasons):
            FileHandle.standardError.write(Data("change from \(latest): \(required)\(reasons.isEmpty ? "" : " (" + reasons.prefix(3).joined(separator: "; ") + ")")\n".utf8))
        case .uploading(_, _, let progress):
            replaceBar(ProgressBar(label: "uploading", progress: progress))
        case .publishing(let total):
            replaceBar(nil)
            if standardErrorIsTerminal(), !quiet {
                FileHandle.standardError.write(Data("publishing: the registry verifies the signature and re-hashes \(byteSize(total))…\n".utf8))
            }
        }
    }

    func finish() { replaceBar(nil) }

    private func replaceBar(_ next: ProgressBar?) {
        let previous = bar.withLock { current in
            defer { current = next }
            return current
        }
        previous?.stop()
        next?.start()
    }
}

extension Publisher.Bump: ExpressibleByArgument {}
