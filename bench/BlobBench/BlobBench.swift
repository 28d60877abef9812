import Foundation
import NIOCore
import WardenCore
import WardenRegistry

/// Push and pull of one large blob through a blob store, as the server drives it: 1 MiB chunks
/// appended to an upload, then 1 MiB ranged reads (BlobResponse's reads) and a materialize.
///
///     warden-blob-bench fs DIRECTORY BYTES
///     warden-blob-bench s3 BUCKET BYTES      (endpoint and keys from AWS_* variables)
///
/// Prints one line per step: MB/s and the process's peak RSS (VmHWM) growth. Run by bench/s3-blobs.sh.
@main
struct BlobBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 4, let bytes = Int64(arguments[3]), bytes > 0 else {
            FileHandle.standardError.write(Data("usage: warden-blob-bench fs DIRECTORY BYTES | s3 BUCKET BYTES\n".utf8))
            exit(2)
        }
        let kind = arguments[1]
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("warden-blob-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let store: any BlobStore
        switch kind {
        case "fs":
            store = try FileSystemBlobStore(root: arguments[2])
        case "s3":
            let s3 = try S3BlobStore(configuration: .fromEnvironment(), bucket: arguments[2], prefix: "bench-\(UUID().uuidString.lowercased())")
            try await s3.createBucket()
            store = s3
        default:
            FileHandle.standardError.write(Data("unknown store '\(kind)': use fs or s3\n".utf8))
            exit(2)
        }

        let baseline = peakRSS()
        // 1 MiB of bytes that are not all alike; every chunk differs by its first 8 bytes.
        var chunk = ByteBuffer(bytes: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var start = Date()
        let upload = try await store.beginUpload(maximumSize: nil)
        var sent: Int64 = 0
        var index: UInt64 = 0
        while sent < bytes {
            let length = Int(min(Int64(chunk.readableBytes), bytes - sent))
            chunk.setInteger(index, at: 0)
            try await upload.append(chunk.getSlice(at: 0, length: length)!)
            sent += Int64(length)
            index += 1
        }
        let digest = try await upload.commit(expected: nil)
        report(kind, "push", bytes, since: start, baseline: baseline)

        start = Date()
        let reader = try await store.open(digest)
        var offset: Int64 = 0
        while offset < reader.size {
            let got = try await reader.read(at: offset, upTo: 1 << 20)
            guard got.readableBytes > 0 else { break }
            offset += Int64(got.readableBytes)
        }
        reader.close()
        report(kind, "pull (1 MiB reads)", offset, since: start, baseline: baseline)

        start = Date()
        try await store.materialize(digest, at: scratch + "/blob")
        report(kind, "materialize", bytes, since: start, baseline: baseline)
        try await store.remove(digest)
    }

    static func report(_ kind: String, _ step: String, _ bytes: Int64, since start: Date, baseline: Int64) {
        let seconds = Date().timeIntervalSince(start)
        let rate = Double(bytes) / 1_000_000 / seconds
        let growth = Double(peakRSS() - baseline) / 1_048_576
        print("\(kind) \(step): \(bytes) bytes in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", rate)) MB/s; peak RSS +\(String(format: "%.0f", growth)) MiB")
    }

    /// VmHWM from /proc/self/status, in bytes (0 where there is no /proc).
    static func peakRSS() -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0
            return digits * 1024
        }
        return 0
    }
}
