import Crypto
import Foundation
import Testing
@testable import WardenIntegrity

@Suite struct ModelHasherTests {
    @Test func filesMethodHashesEachFileAndTheRootOverTheirDigests() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("model/weights.bin", patternBytes(10_000))
        try dir.write("model/config.json", "{}")

        let manifest = try ModelHasher().manifest(of: dir.file("model"))
        #expect(manifest.resources.map(\.name) == ["config.json", "weights.bin"])
        #expect(manifest.resources.map(\.algorithm) == ["sha256", "sha256"])
        let config = Digest.sha256(Array("{}".utf8))
        let weights = Digest.sha256(patternBytes(10_000))
        #expect(manifest.resources.map(\.digest) == [config, weights])
        #expect(manifest.rootDigest == Digest.sha256(config.bytes + weights.bytes))
    }

    /// Known answer computed independently: sha256(sha256("a") || sha256("b")).
    @Test func rootDigestKnownAnswer() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/a", "a")
        try dir.write("m/b", "b")
        let manifest = try ModelHasher().manifest(of: dir.file("m"))
        let a = Digest.sha256(Array("a".utf8)).bytes, b = Digest.sha256(Array("b".utf8)).bytes
        #expect(manifest.rootDigest == Digest(SHA256.hash(data: a + b)))
        #expect(manifest.rootDigest.hex == "e5a01fee14e0ed5c48714f22180f25ad8365b53f9779f79dc4a3d7e93963f94a")
    }

    @Test func sortsPathsComponentByComponent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for name in ["a-b/c", "a/b", "a/a/z", "B", "a.txt", "a"] where name != "a" {
            try dir.write("m/\(name)", name)
        }
        let names = try ModelHasher().manifest(of: dir.file("m")).resources.map(\.name)
        // Byte order per component: "B" < "a-b" < "a.txt" < "a"... and "a/…" sorts by its first component "a".
        #expect(names == ["B", "a/a/z", "a/b", "a-b/c", "a.txt"])
        #expect(ResourceOrder.precedes("a/b", "a-b/c"))
        #expect(!ResourceOrder.precedes("a-b/c", "a/b"))
    }

    @Test func shardsMethodCutsFilesAndSkipsEmptyOnes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes = patternBytes(2_500)
        try dir.write("m/w.bin", bytes)
        try dir.write("m/empty", [UInt8]())
        let hasher = ModelHasher(serialization: .init(method: .shards(size: 1_000)))
        let manifest = try hasher.manifest(of: dir.file("m"))
        #expect(manifest.resources.map(\.name) == ["w.bin:0:1000", "w.bin:1000:2000", "w.bin:2000:2500"])
        #expect(manifest.resources.allSatisfy { $0.algorithm == "sha256-sharded-1000" })
        #expect(manifest.resources[2].digest == Digest.sha256(Array(bytes[2000..<2500])))
    }

    @Test func filesMethodKeepsEmptyFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/empty", [UInt8]())
        try dir.write("m/x", "x")
        let manifest = try ModelHasher().manifest(of: dir.file("m"))
        #expect(manifest.resources.map(\.name) == ["empty", "x"])
        #expect(manifest.resources[0].digest == Digest.sha256([UInt8]()))
    }

    @Test func manyWorkersGiveTheSameManifestAsOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for index in 0..<12 {
            try dir.write("m/dir\(index % 3)/f\(index)", patternBytes(3_000 + index * 997, seed: UInt64(index + 1)))
        }
        for method in [Manifest.Serialization.Method.files, .shards(size: 1_024)] {
            let serial = try ModelHasher(serialization: .init(method: method), workers: 1, bufferSize: 4096).manifest(of: dir.file("m"))
            let parallel = try ModelHasher(serialization: .init(method: method), workers: 8, bufferSize: 4096).manifest(of: dir.file("m"))
            #expect(serial == parallel)
        }
    }

    /// As `model_signing` names it: the file's path relative to itself.
    @Test func singleFileModelIsNamedDot() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("model.onnx", patternBytes(2_500))
        #expect(try ModelHasher().manifest(of: path).resources.map(\.name) == ["."])
        let sharded = try ModelHasher(serialization: .init(method: .shards(size: 1_000))).manifest(of: path)
        #expect(sharded.resources.map(\.name) == [".:0:1000", ".:1000:2000", ".:2000:2500"])
    }

    @Test func defaultAndRequestedIgnores() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/.git/HEAD", "ref")
        try dir.write("m/.gitignore", "*.tmp")
        try dir.write("m/.gitattributes", "")
        try dir.write("m/.github/workflow.yml", "")
        try dir.write("m/keep.bin", "keep")
        try dir.write("m/logs/run.log", "noise")
        try dir.write("m/scratch.tmp", "noise")
        let hasher = ModelHasher(serialization: .init(ignorePaths: ["logs", dir.file("m/scratch.tmp")]))
        #expect(try hasher.manifest(of: dir.file("m")).resources.map(\.name) == ["keep.bin"])
    }

    @Test func progressCountsEveryByte() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/a", patternBytes(5_000))
        try dir.write("m/b", patternBytes(7_000))
        let progress = HashProgress()
        _ = try ModelHasher(bufferSize: 4096).manifest(of: dir.file("m"), progress: progress)
        #expect(progress.totalBytes == 12_000)
        #expect(progress.completedBytes == 12_000)
    }
}

@Suite struct ModelHasherRejectionTests {

    @Test func pathThatDoesNotExist() {
        expectWardenError(.pathNotFound, containing: "does not exist") {
            _ = try ModelHasher().manifest(of: "/nonexistent/warden/model")
        }
    }

    @Test func emptyDirectory() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.mkdir("m/sub")
        expectWardenError(.emptyModel, containing: "holds no files") { _ = try ModelHasher().manifest(of: dir.file("m")) }
    }

    @Test func directoryWithOnlyIgnoredFilesIsEmpty() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/.gitignore", "x")
        expectWardenError(.emptyModel, containing: "holds no files") { _ = try ModelHasher().manifest(of: dir.file("m")) }
    }

    @Test func symlinkIsRefusedByDefault() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/real.bin", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/link.bin"), withDestinationPath: "real.bin")
        expectWardenError(.symlinkRefused, containing: "'link.bin' is a symlink") { _ = try ModelHasher().manifest(of: dir.file("m")) }
    }

    @Test func symlinkInsideTheModelIsFollowedWhenAllowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/real.bin", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/link.bin"), withDestinationPath: "real.bin")
        let manifest = try ModelHasher(serialization: .init(allowSymlinks: true)).manifest(of: dir.file("m"))
        #expect(manifest.resources.map(\.name) == ["link.bin", "real.bin"])
        #expect(manifest.resources[0].digest == manifest.resources[1].digest)
    }

    @Test func symlinkOutOfTheModelIsNeverFollowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("secret", "outside")
        try dir.write("m/real.bin", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/escape"), withDestinationPath: "../secret")
        expectWardenError(.symlinkEscapes, containing: "outside the model directory") {
            _ = try ModelHasher(serialization: .init(allowSymlinks: true)).manifest(of: dir.file("m"))
        }
    }

    @Test func danglingSymlink() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/real.bin", "x")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/gone"), withDestinationPath: "missing.bin")
        expectWardenError(.unreadableFile, containing: "dangling") {
            _ = try ModelHasher(serialization: .init(allowSymlinks: true)).manifest(of: dir.file("m"))
        }
    }

    @Test func fileThatCannotBeOpened() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/a.bin", "a")
        try dir.write("m/b.bin", "b")
        let hasher = ModelHasher()
        let tree = try hasher.tree(of: dir.file("m"))
        try FileManager.default.removeItem(atPath: dir.file("m/b.bin"))
        expectWardenError(.unreadableFile, containing: "cannot open 'b.bin'") { _ = try hasher.manifest(of: tree) }
    }

    @Test func unreadableFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/b.bin", "b")
        let path = try dir.write("m/a.bin", "a")
        chmod(path, 0)
        // Root reads files whatever their mode: check file modes as nobody, also under root (CI).
        try asUnprivilegedUser {
            // faccessat with AT_EACCESS checks with the ids open(2) uses (the fs ids), not the real ones.
            #expect(faccessat(AT_FDCWD, dir.file("m/b.bin"), R_OK, AT_EACCESS) == 0, "the readable file must stay readable")
            #expect(faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) != 0, "a mode-0 file must be unreadable here, or this test checks nothing")
            expectWardenError(.unreadableFile, containing: "cannot open 'a.bin'") { _ = try ModelHasher().manifest(of: dir.file("m")) }
        }
    }

    @Test func specialFileIsRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/a.bin", "a")
        #expect(mkfifo(dir.file("m/pipe"), 0o600) == 0)
        expectWardenError(.unsupportedFileType, containing: "'pipe' is not a regular file") { _ = try ModelHasher().manifest(of: dir.file("m")) }
    }

    @Test func nonPositiveShardSize() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("m/a.bin", "a")
        expectWardenError(.invalidArgument, containing: "shard size must be a positive") {
            _ = try ModelHasher(serialization: .init(method: .shards(size: 0))).manifest(of: dir.file("m"))
        }
    }
}
