import ArgumentParser
import Foundation
import WardenCore
import WardenRegistry

struct FsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check a registry data directory: blobs hash to their names, versions have their blobs, no orphan blobs or temporary files remain.",
        discussion: """
            It reads a live server's folder safely, but then a push in progress may show as orphan blobs or \
            temporary files, so it says when a server is running. `warden gc` removes orphans and temporary files. \
            Exit 0 when clean, 1 naming every problem, 2 when the directory cannot be read.
            """
    )

    @OptionGroup var dataFolder: DataFolderOption

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let folder = try dataFolder.registry()
            let server = folder.runningServer()
            if let server, !json { printServerNote(server, folder) }
            let check = ConsistencyCheck(
                metadata: try SQLiteMetadataStore(path: folder.database),
                blobs: try FileSystemBlobStore(root: folder.blobs),
                scratchDirectory: folder.scratch
            )
            let report = try await check.run()
            if json {
                var object: [String: Any] = [
                    "clean": report.isClean, "blobs_checked": report.blobsChecked, "versions_checked": report.versionsChecked,
                    "corrupt_blobs": report.corruptBlobs.map(\.description), "missing_blobs": report.missingBlobs,
                    "orphan_blobs": report.orphanBlobs.map(\.description), "temporary_files": report.temporaryFiles,
                ]
                if let server { object["server_pid"] = server }
                printJSON(object)
            } else {
                print("checked \(report.blobsChecked) blob(s) and \(report.versionsChecked) version(s)")
                for digest in report.corruptBlobs { print("corrupt blob: \(digest) does not hash to its name") }
                for missing in report.missingBlobs { print("missing blob: \(missing)") }
                for digest in report.orphanBlobs { print("orphan blob: \(digest) belongs to no version") }
                for file in report.temporaryFiles { print("temporary file left behind: \(file)") }
                if !report.orphanBlobs.isEmpty || !report.temporaryFiles.isEmpty {
                    print("remove orphans and temporary files with: warden gc --data \(folder.root)\(server == nil ? "" : " (after stopping the server)")")
                }
                print(report.isClean ? "clean" : "NOT clean")
            }
            if !report.isClean { throw ExitCode(1) }
        }
    }
}

/// Says on stderr that a server holds the folder, for the offline commands.
func printServerNote(_ pid: Int32, _ folder: DataDirectory) {
    let who = pid > 0 ? "pid \(pid)" : "a process"
    FileHandle.standardError.write(Data("note: a warden server (\(who)) is running on '\(folder.root)'; what it is doing now may show up below\n".utf8))
}

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove blobs no version references and temporary files of interrupted uploads.",
        discussion: """
            Run it with the server stopped: a live server may be between a push's uploads and its publish, \
            when the new blobs are not referenced yet, so gc refuses while one holds the folder. \
            Exit 0 when done, 2 when the directory cannot be read or a server is running.
            """
    )

    @OptionGroup var dataFolder: DataFolderOption

    @Flag(name: .long, help: "List what would be removed, and remove nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let folder = try dataFolder.registry()
            if let pid = folder.runningServer() {
                throw WardenError(.conflict, "a warden server (\(pid > 0 ? "pid \(pid)" : "another process")) is running on '\(folder.root)'; gc would remove blobs a push in progress still needs, so stop the server first")
            }
            // Held while collecting, so no server starts meanwhile.
            let lock = try folder.lock()
            defer { withExtendedLifetime(lock) {} }
            let collection = GarbageCollection(
                metadata: try SQLiteMetadataStore(path: folder.database),
                blobs: try FileSystemBlobStore(root: folder.blobs),
                scratchDirectory: folder.scratch
            )
            let report = try await collection.run(dryRun: dryRun)
            if json {
                printJSON([
                    "dry_run": dryRun, "removed_blobs": report.removedBlobs.map(\.description),
                    "freed_bytes": report.freedBytes, "removed_temporary_files": report.removedTemporaryFiles,
                ])
            } else {
                let verb = dryRun ? "would remove" : "removed"
                for digest in report.removedBlobs { print("\(verb) orphan blob \(digest)") }
                for path in report.removedTemporaryFiles { print("\(verb) temporary file \(path)") }
                print("\(verb) \(report.removedBlobs.count) orphan blob(s) (\(byteSize(report.freedBytes))) and \(report.removedTemporaryFiles.count) temporary file(s)")
            }
        }
    }
}

/// `--data DIR`, for the commands that read a registry's data folder offline.
struct DataFolderOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The data directory (default ./warden-data).", valueName: "dir"))
    var data: String = "./warden-data"

    /// The folder, once it is known to hold a registry.
    /// - Throws: `.pathNotFound` saying what to pass.
    func registry() throws -> DataDirectory {
        let folder = DataDirectory(data)
        try folder.requireRegistry()
        return folder
    }
}
