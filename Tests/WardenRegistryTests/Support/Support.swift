import Foundation
import Testing
@_exported import WardenTestSupport
import WardenCore
import WardenRegistry

/// Expects the async `body` to throw a `WardenError` with `code` whose message contains
/// `text`: the error a user would see. (The async twin of `expectWardenError`.)
func expectAsyncWardenError(
    _ code: WardenError.Code,
    containing text: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    await expectAsyncWardenError(code, containing: [text], sourceLocation: sourceLocation, body)
}

/// Expects the async `body` to throw a `WardenError` with `code` whose message contains every one of `fragments`.
func expectAsyncWardenError(
    _ code: WardenError.Code,
    containing fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected a \(code) error containing \(fragments), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as WardenError {
        #expect(error.code == code, "code \(error.code), message: \(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a WardenError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}

/// A `SemanticVersion` from a literal the test knows is valid.
func v(_ text: String) -> SemanticVersion {
    guard let version = SemanticVersion(text) else { fatalError("test uses an invalid version '\(text)'") }
    return version
}

/// The SHA-256 of a UTF-8 string, as a `Digest`.
func sha(_ text: String) -> Digest {
    Digest.sha256(Array(text.utf8))
}
