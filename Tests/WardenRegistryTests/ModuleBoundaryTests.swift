import Foundation
import Testing

/// The registry's one door, checked on the source tree: the compiler refuses any use of
/// `Registry.metadata` or `Registry.blobs` outside WardenRegistry because they are internal;
/// this test fails if someone makes them public again, or opens a store directly where only
/// the registry should.
@Suite("The registry's one door")
struct ModuleBoundaryTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources").path

    static func swiftFiles(under folder: String) -> [String] {
        let root = (sources as NSString).appendingPathComponent(folder)
        let walker = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".swift") { files.append((root as NSString).appendingPathComponent(path)) }
        }
        return files.sorted()
    }

    @Test("the stores are internal to WardenRegistry")
    func storesAreInternal() throws {
        let text = try String(contentsOfFile: Self.sources + "/WardenRegistry/Registry/Registry.swift", encoding: .utf8)
        #expect(text.contains("\n    let metadata: any MetadataStore\n"), "Registry.metadata must stay internal")
        #expect(text.contains("\n    let blobs: any BlobStore\n"), "Registry.blobs must stay internal")
        #expect(!text.contains("public let metadata") && !text.contains("public var metadata"))
    }

    @Test("no module but the registry writes metadata; only the server and the offline commands open a store")
    func noOtherDoor() throws {
        // Opening the store is allowed where a data folder is opened: the server's start, and
        // the CLI's offline commands (fsck, gc, audit), which read a stopped or live folder.
        let allowedOpeners: Set<String> = ["WardenServer/WardenServer.swift", "warden/FsckCommand.swift", "warden/AuditCommand.swift"]
        var problems: [String] = []
        for module in ["WardenServing", "WardenServer", "WardenClient", "warden", "WardenSandbox", "WardenModel"] {
            for file in Self.swiftFiles(under: module) {
                let relative = String(file.dropFirst(Self.sources.count + 1))
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for needle in ["registry.metadata", "registry.blobs", "metadata.setAlias(", "metadata.insertVersion(", "metadata.deleteAlias(", "metadata.startRollout("] where text.contains(needle) {
                    problems.append("\(relative) uses \(needle)")
                }
                if text.contains("SQLiteMetadataStore(") || text.contains("PostgresMetadataStore(") || text.contains("FileSystemBlobStore(root:"), !allowedOpeners.contains(relative) {
                    problems.append("\(relative) opens a store directly")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// What each module may import of Warden's own, as docs/architecture.md draws it: tensors
    /// travel without a model format, and a model is described without linking the executor.
    static let forbiddenImports: [String: Set<String>] = [
        "WardenTensor": ["WardenONNX", "WardenRuntime", "WardenIntegrity", "WardenModel", "WardenSandbox", "WardenRegistry", "WardenServing", "WardenServer", "WardenClient"],
        "WardenONNX": ["WardenRuntime", "WardenModel", "WardenSandbox", "WardenRegistry", "WardenServing", "WardenServer", "WardenClient"],
        "WardenRuntime": ["WardenModel", "WardenSandbox", "WardenRegistry", "WardenServing", "WardenServer", "WardenClient"],
        "WardenModel": ["WardenRuntime", "WardenSandbox", "WardenRegistry", "WardenServing", "WardenServer", "WardenClient"],
        "WardenSandbox": ["WardenONNX", "WardenRuntime", "WardenRegistry", "WardenServing", "WardenServer", "WardenClient"],
        "WardenRegistry": ["WardenRuntime", "WardenSandbox", "WardenServing", "WardenServer", "WardenClient"],
        "WardenClient": ["WardenONNX", "WardenRuntime", "WardenSandbox", "WardenRegistry", "WardenServing", "WardenServer"],
    ]

    @Test("no module imports one the architecture keeps it from")
    func importsFollowTheMap() throws {
        var problems: [String] = []
        for (module, forbidden) in Self.forbiddenImports.sorted(by: { $0.key < $1.key }) {
            let files = Self.swiftFiles(under: module)
            #expect(!files.isEmpty, "Sources/\(module) has no Swift files")
            for file in files {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@_exported import ") || line.hasPrefix("@testable import ") {
                    let imported = String(line.split(separator: " ").last ?? "")
                    if forbidden.contains(imported) {
                        problems.append("\(String(file.dropFirst(Self.sources.count + 1))) imports \(imported)")
                    }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems)")
    }
}
