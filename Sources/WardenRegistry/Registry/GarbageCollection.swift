import Foundation
import WardenCore

/// `warden gc`: removes what no version needs: blobs no version references
/// (left by a push whose publish step failed or was killed) and temporary
/// files of interrupted uploads and publishes.
///
/// It runs only on a data folder no server holds (`DataDirectory.runningServer()`):
/// a live server may be between a push's uploads and its publish, when the new
/// blobs are not referenced yet.
public struct GarbageCollection: Sendable {
    public struct Report: Sendable {
        public var removedBlobs: [Digest] = []
        public var freedBytes: Int64 = 0
        public var removedTemporaryFiles: [String] = []
    }

    public let metadata: any MetadataStore
    public let blobs: FileSystemBlobStore
    public let scratchDirectory: String

    public init(metadata: any MetadataStore, blobs: FileSystemBlobStore, scratchDirectory: String) {
        self.metadata = metadata
        self.blobs = blobs
        self.scratchDirectory = scratchDirectory
    }

    /// Finds (and, unless `dryRun`, removes) the orphans and temporary files.
    public func run(dryRun: Bool) async throws -> Report {
        var report = Report()
        var referenced = Set<Digest>()
        for version in try await ConsistencyCheck.allVersions(metadata) {
            for file in version.files { referenced.insert(file.digest) }
        }
        for digest in try blobs.allDigests() where !referenced.contains(digest) {
            report.removedBlobs.append(digest)
            report.freedBytes += dryRun ? (try blobs.size(of: digest) ?? 0) : try blobs.remove(digest)
        }
        let scratch = ((try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory)) ?? []).map { (scratchDirectory as NSString).appendingPathComponent($0) }
        for path in blobs.temporaryUploads() + scratch {
            report.removedTemporaryFiles.append(path)
            if !dryRun {
                do {
                    try FileManager.default.removeItem(atPath: path)
                } catch {
                    throw WardenError(.ioFailure, "cannot remove '\(path)': \(error.localizedDescription)", cause: error)
                }
            }
        }
        return report
    }
}
