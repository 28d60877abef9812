import Crypto
import Dispatch
import Foundation
import Synchronization
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Computes a model's `Manifest`: streams every file (or shard) through
/// SHA-256, several at once, with memory bounded by `workers × bufferSize`
/// whatever the model's size.
///
/// ```swift
/// let hasher = ModelHasher(serialization: .init(method: .shards(size: 1 << 30)))
/// let manifest = try hasher.manifest(of: "models/resnet")
/// print(manifest.rootDigest)   // sha256:…
/// ```
public struct ModelHasher: Sendable {
    public var serialization: Manifest.Serialization
    /// Concurrent hashing threads; defaults to the number of active cores.
    public var workers: Int
    /// Bytes read per `pread`, per worker.
    public var bufferSize: Int

    public init(
        serialization: Manifest.Serialization = .init(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        bufferSize: Int = 1 << 20
    ) {
        self.serialization = serialization
        self.workers = max(1, workers)
        self.bufferSize = max(4096, bufferSize)
    }

    /// Walks `path` and hashes it.
    ///
    /// - Parameters:
    ///   - path: the model directory or file.
    ///   - alsoIgnoring: filesystem paths (absolute, or relative to the working
    ///     directory) left out without being recorded in the manifest, such as
    ///     a signature file that lives inside the model.
    ///   - progress: receives the total once the model is walked, then each batch of hashed bytes.
    /// - Throws: `WardenError` for unreadable, missing or refused input.
    public func manifest(of path: String, alsoIgnoring: [String] = [], progress: HashProgress? = nil) throws -> Manifest {
        try manifest(of: tree(of: path, alsoIgnoring: alsoIgnoring), progress: progress)
    }

    /// The files `manifest(of:)` would hash, for sizing progress displays.
    public func tree(of path: String, alsoIgnoring: [String] = []) throws -> ModelTree {
        if case .shards(let size) = serialization.method, size <= 0 {
            throw WardenError(.invalidArgument, "shard size must be a positive number of bytes, got \(size)")
        }
        let absolute = alsoIgnoring.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        return try ModelTree(
            path: path,
            ignoring: serialization.ignorePaths + absolute,
            allowSymlinks: serialization.allowSymlinks
        )
    }

    /// Hashes the files of an already-walked tree.
    public func manifest(of tree: ModelTree, progress: HashProgress? = nil) throws -> Manifest {
        let items = workItems(for: tree)
        progress?.start(totalBytes: tree.totalBytes)
        let digests = try hash(items, progress: progress)
        let algorithm = serialization.resourceAlgorithm
        let resources = zip(items, digests).map { item, digest in
            Manifest.Resource(path: item.file.name, shard: item.shard, algorithm: algorithm, digest: digest)
        }
        return Manifest(serialization: serialization, resources: resources)
    }

    // MARK: - Work

    struct WorkItem: Sendable {
        let file: ModelTree.File
        /// The byte range to hash; nil means the whole file as it is when read.
        let shard: Range<Int64>?
        var length: Int64 { shard.map { $0.upperBound - $0.lowerBound } ?? file.size }
    }

    func workItems(for tree: ModelTree) -> [WorkItem] {
        switch serialization.method {
        case .files:
            return tree.files.map { WorkItem(file: $0, shard: nil) }
        case .shards(let size):
            // Empty files give no shard, as in OMS.
            return tree.files.flatMap { file in
                stride(from: Int64(0), to: file.size, by: Int(size)).map { start in
                    WorkItem(file: file, shard: start..<min(start + size, file.size))
                }
            }
        }
    }

    /// Hashes every item; the result is in item order.
    func hash(_ items: [WorkItem], progress: HashProgress?) throws -> [Digest] {
        let results = ResultSlots(count: items.count)
        // Largest first, so the last item to start is a small one and the
        // cores finish together (longest-processing-time scheduling).
        let schedule = items.indices.sorted { items[$0].length > items[$1].length }
        let next = Atomic<Int>(0)
        let failure = Mutex<WardenError?>(nil)
        let threads = min(workers, items.count)
        let bufferSize = self.bufferSize

        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
            defer { buffer.deallocate() }
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < schedule.count, failure.withLock({ $0 == nil }) else { return }
                let index = schedule[position]
                do throws(WardenError) {
                    results.set(index, try Self.hash(items[index], buffer: buffer, progress: progress))
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return results.values()
    }

    private static func hash(_ item: WorkItem, buffer: UnsafeMutableRawBufferPointer, progress: HashProgress?) throws(WardenError) -> Digest {
        let fd = open(item.file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WardenError(
                .unreadableFile,
                "cannot open '\(item.file.name)': \(String(cString: strerror(errno))); check the file's permissions"
            )
        }
        defer { close(fd) }
        var offset = item.shard?.lowerBound ?? 0
        let end = item.shard?.upperBound ?? Int64.max
        #if os(Linux)
        _ = posix_fadvise(fd, off_t(offset), 0, POSIX_FADV_SEQUENTIAL)
        #endif

        var hasher = SHA256()
        while offset < end {
            let want = Int(min(Int64(buffer.count), end - offset))
            let got = pread(fd, buffer.baseAddress, want, off_t(offset))
            if got < 0 {
                if errno == EINTR { continue }
                throw WardenError(.unreadableFile, "cannot read '\(item.file.name)': \(String(cString: strerror(errno)))")
            }
            if got == 0 {
                guard item.shard == nil else {
                    throw WardenError(
                        .ioFailure,
                        "'\(item.file.name)' shrank while it was being hashed; hash again when nothing is writing to the model"
                    )
                }
                break
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += Int64(got)
            progress?.add(got)
        }
        return Digest(hasher.finalize())
    }
}

/// Fixed slots, each written once by one worker, read by `values()` after
/// every worker has returned. `concurrentPerform` returning is the
/// happens-before edge, and no two workers share a slot, so no lock is needed.
private final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Digest?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ digest: Digest) { slots[index] = digest }

    func values() -> [Digest] { slots.compactMap { $0 } }
}
