import ArgumentParser
import Foundation
import WardenAPI
import WardenIntegrity

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the model is cut into resources: the options `hash` and `sign` share.
struct SerializationOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Hash each file in shards of this many bytes (OMS 'shards' serialization).", valueName: "bytes"))
    var shardSize: Int64?

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Paths to leave out, relative to the model (or absolute, inside it).", valueName: "path"))
    var ignorePaths: [String] = []

    @Flag(name: .long, help: "Follow symlinks that stay inside the model directory (refused by default).")
    var allowSymlinks = false

    func validate() throws {
        if let shardSize, shardSize <= 0 {
            throw ValidationError("--shard-size must be a positive number of bytes, got \(shardSize)")
        }
    }

    func serialization(ignoring extra: [String] = [], modelPath: String) -> Manifest.Serialization {
        let root = URL(fileURLWithPath: modelPath).standardizedFileURL.path
        // Recorded like model_signing does: the git defaults, then the user's paths, relative to the model.
        var recorded = ModelTree.defaultIgnoredNames
        for path in (ignorePaths + extra).compactMap({ ModelTree.relativeIgnorePath($0, root: root) }) where !recorded.contains(path) {
            recorded.append(path)
        }
        return Manifest.Serialization(
            method: shardSize.map { .shards(size: $0) } ?? .files,
            allowSymlinks: allowSymlinks,
            ignorePaths: recorded
        )
    }
}

/// Runs a command body, turning Warden errors into a message on stderr and
/// the documented exit code: 1 for integrity verdicts, 2 for bad input.
func runReporting(json: Bool = false, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as WardenError {
        if json {
            var detail: [String: Any] = ["code": error.code.rawValue, "message": error.message]
            if let difference = error.cause as? ManifestDifference {
                detail["modified"] = difference.modified
                detail["missing"] = difference.missing
                detail["unexpected"] = difference.unexpected
            }
            printJSON(["ok": false, "error": detail])
        }
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(error.isIntegrityFailure ? 1 : 2)
    }
}

/// Prints `object` as pretty JSON with sorted keys: an API wire type (WardenAPI) through its
/// Codable shape, anything else (dictionaries of plain values) through JSONSerialization.
func printJSON(_ object: Any) {
    let data: Data?
    if let value = object as? any Encodable {
        let encoder = APIJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        data = try? encoder.encode(value)
    } else {
        data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }
    guard let data else { return }
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// An API wire type as a dictionary, to add fields to before printing it.
func jsonObject(_ value: some Encodable) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: APIJSON.encode(value))) as? [String: Any] ?? [:]
}

func standardErrorIsTerminal() -> Bool { isatty(STDERR_FILENO) == 1 }

/// The manifest as JSON: root, serialization and every resource.
func manifestJSON(_ manifest: Manifest) -> [String: Any] {
    var serialization: [String: Any] = [
        "hash_type": manifest.serialization.hashType,
        "allow_symlinks": manifest.serialization.allowSymlinks,
        "ignore_paths": manifest.serialization.ignorePaths,
    ]
    switch manifest.serialization.method {
    case .files:
        serialization["method"] = "files"
    case .shards(let size):
        serialization["method"] = "shards"
        serialization["shard_size"] = size
    }
    return [
        "root": manifest.rootDigest.description,
        "serialization": serialization,
        "resources": manifest.resources.map { ["name": $0.name, "algorithm": $0.algorithm, "digest": $0.digest.hex] },
    ]
}
