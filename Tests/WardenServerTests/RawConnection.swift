import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP connection to the server on loopback that sends exactly the bytes it is given:
/// for what no HTTP client does (a body cut short, a head sent a byte at a time, a
/// `Content-Length` no integer holds). Every wait is bounded.
///
/// The calls block, so tests run them on a thread of their own (`RawConnection.blocking`),
/// never on the cooperative pool the server's handlers need (two threads on a 2-core machine).
final class RawConnection: @unchecked Sendable {
    // @unchecked: one test thread uses a connection at a time.
    private var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WardenError(.ioFailure, "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw WardenError(.ioFailure, "connect() to 127.0.0.1:\(port) failed")
        }
    }

    deinit { close() }

    /// Closes the connection (both sides); safe to call twice.
    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Sends every byte; false when the server has closed the connection.
    @discardableResult
    func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Closes the sending side: the server reads the end of the stream, the answer can still come back.
    func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// What the server sent, until it closed the connection, `stopWhen` holds for what was
    /// read so far, or `limit` passed.
    /// - Returns: the bytes, and whether the server closed the connection.
    func read(within limit: Duration, stopWhen done: ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], closed: Bool) {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(received) {
            let left = deadline - clock.now
            guard left > .zero, waitReadable(left) else { return (received, false) }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, true) }  // 0: the server closed; < 0: it reset the connection
            received += buffer[..<count]
        }
        return (received, false)
    }

    /// Whether the server closes the connection within `limit` (anything it sends is read and dropped).
    func closedByServer(within limit: Duration) -> Bool {
        read(within: limit).closed
    }

    /// Waits until the socket is readable (data, or the server's close) or `limit` passes.
    private func waitReadable(_ limit: Duration) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000 + 1)
        return poll(&entry, 1, milliseconds) > 0
    }

    /// Reads one HTTP/1.1 response (its head, and a body of `Content-Length` bytes).
    func response(within limit: Duration = .seconds(10)) -> RawResponse? {
        let (bytes, _) = read(within: limit) { RawResponse(bytes: $0) != nil }
        return RawResponse(bytes: bytes)
    }

    /// Runs blocking socket work on a thread of its own.
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

/// A whole HTTP/1.1 response as read off the wire.
struct RawResponse {
    let statusLine: String
    let headers: [String: String]
    let body: String

    var status: Int? { statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } }

    /// nil until `bytes` hold the whole head and the body its `Content-Length` announces.
    init?(bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = Array(text[end.upperBound...].utf8)
        guard body.count >= Int(headers["content-length"] ?? "0") ?? 0 else { return nil }
        statusLine = lines.first ?? ""
        self.headers = headers
        self.body = String(decoding: body, as: UTF8.self)
    }
}
