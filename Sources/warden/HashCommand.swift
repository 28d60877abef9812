import ArgumentParser
import Foundation
import WardenIntegrity

struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the manifest root digest of a model file or directory.",
        discussion: "Uses the OMS 'files' serialization, or 'shards' with --shard-size. Files and shards are hashed in parallel."
    )

    @Argument(help: "The model directory or file.")
    var path: String

    @OptionGroup var serialization: SerializationOptions

    @Flag(name: .long, help: "Print every resource as JSON.")
    var json = false

    func run() throws {
        try runReporting(json: json) {
            let hasher = ModelHasher(serialization: serialization.serialization(modelPath: path))
            let manifest = try withProgress("hashing") { try hasher.manifest(of: path, progress: $0) }
            if json {
                var object = manifestJSON(manifest)
                object["files"] = manifest.fileCount
                printJSON(object)
            } else {
                print(manifest.rootDigest)
            }
        }
    }
}
