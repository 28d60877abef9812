import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request over a fresh loopback connection (`Connection: close`), for tests that
/// drive a `warden serve` child process faster than a `warden` process per request could.
/// - Returns: the status code and the body as text.
func httpExchange(port: Int, _ method: String, _ path: String, body: String = "", headers: [String: String] = [:]) throws -> (status: Int, body: String) {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    let fd = try sendRaw(port: port, Array((head + "\r\n" + body).utf8))
    defer { close(fd) }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count <= 0 { break }
        response += buffer[0..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let statusText = text.split(separator: " ", maxSplits: 2).dropFirst().first, let status = Int(statusText),
          let split = text.range(of: "\r\n\r\n") else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "not an HTTP response: \(text.prefix(200))"])
    }
    return (status, String(text[split.upperBound...]))
}
