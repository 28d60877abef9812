import Foundation
import WardenCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Requests that really are concurrent at the server: HummingbirdTesting's live client sends
/// over one connection, one request at a time, so a task group of `client.send` calls reaches
/// the server one after another. Here each request has its own TCP connection and thread.
enum ConcurrentRequests {
    /// POSTs every body to `path` at once, each on its own connection; answers (status, body) in order.
    static func post(port: Int, _ path: String, bodies: [String]) async -> [(status: Int, body: String)] {
        await withCheckedContinuation { continuation in
            let results = ResultBox(count: bodies.count)
            let group = DispatchGroup()
            for (index, body) in bodies.enumerated() {
                group.enter()
                Thread.detachNewThread {
                    results.set(index, exchange(port: port, "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
                    group.leave()
                }
            }
            group.notify(queue: .global()) { continuation.resume(returning: results.all) }
        }
    }

    /// One request on a fresh connection, read until the server closes it.
    static func exchange(port: Int, _ request: String) -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return (0, "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return (0, "connect() failed") }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { return (0, "send() failed") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? text
        return (status, body)
    }

    /// The answers, written by one thread each.
    private final class ResultBox: @unchecked Sendable {  // every access holds `lock`
        private let lock = NSLock()
        private var values: [(status: Int, body: String)]
        init(count: Int) { values = Array(repeating: (0, ""), count: count) }
        func set(_ index: Int, _ value: (status: Int, body: String)) { lock.withLock { values[index] = value } }
        var all: [(status: Int, body: String)] { lock.withLock { values } }
    }
}
