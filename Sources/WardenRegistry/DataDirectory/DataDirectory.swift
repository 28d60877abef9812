import Foundation
import WardenCore

/// The layout of a registry's data folder, in one place: the server, `fsck`,
/// `gc` and `audit` all find their files through it.
///
/// ```
/// DATA/warden.db      metadata, events and the audit log (SQLite)
/// DATA/blobs/         content-addressed blobs (sha256/<2>/<64>, uploads/)
/// DATA/tmp/           scratch for publishes; emptied at every start
/// DATA/serving/       checkouts of served versions; emptied at every start
/// DATA/trust/         the signers' public keys (default --trust)
/// DATA/admin.token    the first admin token, written on first start (0600)
/// DATA/audit.key      the audit log's signing key (0600); audit.pub beside it
/// DATA/warden.lock    held by the running server (its PID inside)
/// ```
public struct DataDirectory: Sendable, Hashable {
    public let root: String

    public init(_ root: String) {
        self.root = root
    }

    public var database: String { file("warden.db") }
    public var blobs: String { file("blobs") }
    public var scratch: String { file("tmp") }
    public var checkouts: String { file("serving") }
    public var trust: String { file("trust") }
    public var adminToken: String { file("admin.token") }
    public var auditKey: String { file("audit.key") }
    public var auditPublicKey: String { file("audit.pub") }
    public var lockFile: String { file("warden.lock") }

    func file(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }

    /// Throws unless the folder holds a registry, for the commands that read one.
    /// - Throws: `.pathNotFound` naming the folder and saying what to pass.
    public func requireRegistry() throws {
        guard FileManager.default.fileExists(atPath: database) else {
            throw WardenError(.pathNotFound, "'\(root)' holds no registry (no warden.db); pass --data DIR, the folder warden serve --data uses")
        }
    }

    /// The process id of the server running on this folder, or nil when none is.
    public func runningServer() -> Int32? {
        DataDirectoryLock.holder(of: lockFile)
    }

    /// Takes the folder for one server: refuses when another process holds it.
    /// - Throws: `.conflict` naming the holder's PID.
    public func lock() throws -> DataDirectoryLock {
        try DataDirectoryLock(path: lockFile, folder: root)
    }
}
