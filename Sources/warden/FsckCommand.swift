import ArgumentParser
import Foundation
import WardenCore
import WardenRegistry

struct FsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Check a registry data directory: blobs hash to their names, versions have their blobs, no temporary files remain.",
        discussion: "Run it with the server stopped. Exit 0 when clean, 1 naming every problem, 2 when the directory cannot be read."
    )

    @Option(name: .long, help: ArgumentHelp("The data directory (default ./warden-data).", valueName: "dir"))
    var data: String = "./warden-data"

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            guard FileManager.default.fileExists(atPath: (data as NSString).appendingPathComponent("warden.db")) else {
                throw WardenError(.pathNotFound, "'\(data)' holds no registry (no warden.db); pass --data DIR")
            }
            let check = ConsistencyCheck(
                metadata: try SQLiteMetadataStore(path: (data as NSString).appendingPathComponent("warden.db")),
                blobs: try FileSystemBlobStore(root: (data as NSString).appendingPathComponent("blobs")),
                scratchDirectory: (data as NSString).appendingPathComponent("tmp")
            )
            let report = try await check.run()
            if json {
                printJSON([
                    "clean": report.isClean, "blobs_checked": report.blobsChecked, "versions_checked": report.versionsChecked,
                    "corrupt_blobs": report.corruptBlobs.map(\.description), "missing_blobs": report.missingBlobs, "temporary_files": report.temporaryFiles,
                ])
            } else {
                print("checked \(report.blobsChecked) blob(s) and \(report.versionsChecked) version(s)")
                for digest in report.corruptBlobs { print("corrupt blob: \(digest) does not hash to its name") }
                for missing in report.missingBlobs { print("missing blob: \(missing)") }
                for file in report.temporaryFiles { print("temporary file left behind: \(file)") }
                print(report.isClean ? "clean" : "NOT clean")
            }
            if !report.isClean { throw ExitCode(1) }
        }
    }
}
