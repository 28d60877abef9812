import Foundation
import WardenCore

/// `warden fsck`: checks a data directory the way a crash could have left it.
///
/// - every blob hashes to its name;
/// - every file of every version has its blob, at the recorded size;
/// - every blob belongs to some version (an orphan is left by a push whose
///   publish step failed or was killed; `warden gc` removes it);
/// - no upload or publish left temporary files behind.
public struct ConsistencyCheck: Sendable {
    public struct Report: Sendable {
        public var blobsChecked = 0
        public var versionsChecked = 0
        /// Blobs whose bytes do not hash to their name.
        public var corruptBlobs: [Digest] = []
        /// `model@version: path (digest)` for files whose blob is missing or has another size
        /// (a blob that is there but corrupt is listed once, as corrupt).
        public var missingBlobs: [String] = []
        /// Blobs no version references.
        public var orphanBlobs: [Digest] = []
        /// Leftover temporary files.
        public var temporaryFiles: [String] = []

        public var isClean: Bool { corruptBlobs.isEmpty && missingBlobs.isEmpty && orphanBlobs.isEmpty && temporaryFiles.isEmpty }
    }

    public let metadata: any MetadataStore
    public let blobs: FileSystemBlobStore
    /// The registry's scratch directory (`DATA/tmp`).
    public let scratchDirectory: String

    public init(metadata: any MetadataStore, blobs: FileSystemBlobStore, scratchDirectory: String) {
        self.metadata = metadata
        self.blobs = blobs
        self.scratchDirectory = scratchDirectory
    }

    public func run() async throws -> Report {
        var report = Report()
        let stored = try blobs.allDigests()
        for digest in stored {
            report.blobsChecked += 1
            if try !blobs.verify(digest) { report.corruptBlobs.append(digest) }
        }
        let corrupt = Set(report.corruptBlobs)
        var referenced = Set<Digest>()
        for version in try await Self.allVersions(metadata) {
            report.versionsChecked += 1
            for file in version.files {
                referenced.insert(file.digest)
                if corrupt.contains(file.digest) { continue }
                if try blobs.size(of: file.digest) != file.size {
                    report.missingBlobs.append("\(version.model)@\(version.version): \(file.path) (\(file.digest))")
                }
            }
        }
        report.orphanBlobs = stored.filter { !referenced.contains($0) }
        report.temporaryFiles = blobs.temporaryUploads()
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory)) ?? []
        report.temporaryFiles += scratch.map { (scratchDirectory as NSString).appendingPathComponent($0) }
        return report
    }

    /// Every version of every model, yanked ones included.
    static func allVersions(_ metadata: any MetadataStore) async throws -> [VersionRecord] {
        var versions: [VersionRecord] = []
        var cursor: String?
        repeat {
            let page = try await metadata.listModels(prefix: nil, tag: nil, limit: 1000, cursor: cursor)
            for model in page.items { versions += try await metadata.versions(of: model.name) }
            cursor = page.nextCursor
        } while cursor != nil
        return versions
    }
}
