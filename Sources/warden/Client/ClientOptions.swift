import ArgumentParser
import Foundation
import WardenAPI
import WardenClient
import WardenCore
import WardenIntegrity

/// Where the registry is and who is asking: shared by every client command.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The registry (default $WARDEN_SERVER or http://127.0.0.1:8080).", valueName: "url"))
    var server: String?

    @Option(name: .long, help: ArgumentHelp("The API token (default $WARDEN_TOKEN).", valueName: "token"))
    var token: String?

    var client: RegistryClient {
        let environment = ProcessInfo.processInfo.environment
        return RegistryClient(
            server: server ?? environment["WARDEN_SERVER"] ?? "http://127.0.0.1:8080",
            token: Self.usableToken(token ?? environment["WARDEN_TOKEN"], from: token != nil ? "--token" : "WARDEN_TOKEN")
        )
    }

    /// The token to send, or nil for an empty one (`WARDEN_TOKEN=` or `$(cat missing-file)`),
    /// which is sent as no token at all, with a note on stderr saying so.
    static func usableToken(_ token: String?, from source: String) -> String? {
        guard let token else { return nil }
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            FileHandle.standardError.write(Data("note: \(source) is empty, so no token is sent\n".utf8))
            return nil
        }
        return trimmed
    }
}

/// Runs an async command body with Warden's error reporting: the message on
/// stderr, exit 1 for verdicts (a failed verification, a refused version
/// number), 2 for everything else.
func runReportingAsync(json: Bool = false, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as WardenError {
        if json {
            var detail: [String: Any] = ["code": error.code.rawValue, "message": error.message]
            if let remote = error.cause as? RegistryClient.RemoteError { detail.merge(jsonObject(remote.detail)) { mine, _ in mine } }
            printJSON(["ok": false, "error": detail])
        }
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(error.isIntegrityFailure || error.code == .semverViolation ? 1 : 2)
    }
}

/// A compact table: columns padded to their widest cell.
func table(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}
