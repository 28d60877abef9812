import ArgumentParser
import Foundation
import WardenIntegrity

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension KeyType: ExpressibleByArgument {}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate a signing key pair: PREFIX.key (PKCS#8, mode 0600) and PREFIX.pub.",
        discussion: "ecdsa-p256 and ecdsa-p384 signatures verify with model_signing; ed25519 is a Warden extension."
    )

    @Option(name: .long, help: "Key type: \(KeyType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var type: KeyType = .ecdsaP256

    @Option(name: .long, help: ArgumentHelp("Write PREFIX.key and PREFIX.pub.", valueName: "prefix"))
    var out: String

    @Flag(name: .long, help: "Overwrite existing key files.")
    var force = false

    @Flag(name: .long, help: "Print the result as JSON.")
    var json = false

    func run() throws {
        try runReporting(json: json) {
            let key = SigningKey.generate(type)
            let directory = URL(fileURLWithPath: out).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw WardenError(.ioFailure, "cannot create directory '\(directory.path)' for the keys: \(error.localizedDescription)", cause: error)
            }
            let privatePath = out + ".key"
            let publicPath = out + ".pub"
            try writeKeyFile(privatePath, key.pkcs8PEM, mode: 0o600, force: force)
            try writeKeyFile(publicPath, key.publicKey.pem, mode: 0o644, force: force)
            if json {
                printJSON(["ok": true, "type": type.rawValue, "key_id": key.keyID, "private_key": privatePath, "public_key": publicPath])
            } else {
                print("key id: \(key.keyID)")
                print("wrote \(privatePath) (private, mode 0600) and \(publicPath)")
            }
        }
    }
}

/// Writes a key file created with `mode` from the start, so a private key is never readable by others, even briefly.
private func writeKeyFile(_ path: String, _ text: String, mode: mode_t, force: Bool) throws {
    let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
    let fd = open(path, flags, mode)
    guard fd >= 0 else {
        if errno == EEXIST {
            throw WardenError(.invalidArgument, "'\(path)' already exists; choose another --out prefix or pass --force")
        }
        throw WardenError(.ioFailure, "cannot create '\(path)': \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    // O_CREAT's mode is masked by umask and ignored for existing files: set it exactly.
    fchmod(fd, mode)
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count, fsync(fd) == 0 else {
        throw WardenError(.ioFailure, "cannot write '\(path)': \(String(cString: strerror(errno)))")
    }
}
