import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `warden serve` as a real child process on a loopback port picked by the kernel.
final class ServerProcess {
    let process = Process()
    let port: Int
    let data: String
    private let output: Pipe

    /// Starts the server and waits (at most `timeout` seconds) for its "serving on" line.
    init(data: String, arguments: [String] = [], timeout: TimeInterval = 30) throws {
        self.data = data
        process.executableURL = WardenProcess.executable
        process.arguments = ["serve", "--data", data, "--port", "0", "--log-level", "warning"] + arguments
        output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        var port: Int?
        while port == nil, Date() < deadline, process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { Thread.sleep(forTimeInterval: 0.01); continue }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last ?? "")
            }
        }
        guard let port else {
            if process.isRunning { process.terminate() }
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "warden serve did not start: \(text)"])
        }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// SIGKILL: no chance to clean up, as in a crash.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and a bounded wait for the graceful exit.
    func stop(timeout: TimeInterval = 20) -> Int32? {
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(); return nil }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill() }
    }
}

/// Opens a TCP connection to 127.0.0.1:`port` and sends `bytes`; returns the socket, left open.
func sendRaw(port: Int, _ bytes: [UInt8]) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { close(fd); throw CocoaError(.fileWriteUnknown) }
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    return fd
}
