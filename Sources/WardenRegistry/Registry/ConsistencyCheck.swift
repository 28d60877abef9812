import Foundation
import WardenCore

/// `warden fsck`: checks a data directory the way a crash could have left it.
///
/// - every blob hashes to its name;
/// - every file of every version has its blob, at the recorded size;
/// - no upload or publish left temporary files behind.
public struct ConsistencyCheck: Sendable {
    public struct Report: Sendable {
        public var blobsChecked = 0
        public var versionsChecked = 0
        /// Blobs whose bytes do not hash to their name.
        public var corruptBlobs: [Digest] = []
        /// `model@version: path (digest)` for files whose blob is missing or has another size.
        public var missingBlobs: [String] = []
        /// Leftover temporary files.
        public var temporaryFiles: [String] = []

        public var isClean: Bool { corruptBlobs.isEmpty && missingBlobs.isEmpty && temporaryFiles.isEmpty }
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
        for digest in try blobs.allDigests() {
            report.blobsChecked += 1
            if try !blobs.verify(digest) { report.corruptBlobs.append(digest) }
        }
        var cursor: String?
        repeat {
            let page = try await metadata.listModels(prefix: nil, tag: nil, limit: 1000, cursor: cursor)
            for model in page.items {
                for version in try await metadata.versions(of: model.name) {
                    report.versionsChecked += 1
                    for file in version.files where try blobs.size(of: file.digest) != file.size {
                        report.missingBlobs.append("\(version.model)@\(version.version): \(file.path) (\(file.digest))")
                    }
                }
            }
            cursor = page.nextCursor
        } while cursor != nil
        report.temporaryFiles = blobs.temporaryUploads()
        let scratch = (try? FileManager.default.contentsOfDirectory(atPath: scratchDirectory)) ?? []
        report.temporaryFiles += scratch.map { (scratchDirectory as NSString).appendingPathComponent($0) }
        return report
    }
}
