import Testing
import WardenCore

/// Expects `body` to throw a `WardenError` with `code` whose message contains
/// `text`: the error a user would see. On failure it prints the message that came.
public func expectWardenError(
    _ code: WardenError.Code,
    containing text: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    expectWardenError(code, containing: [text], sourceLocation: sourceLocation, body)
}

/// Expects `body` to throw a `WardenError` with `code` whose message contains every one of `fragments`.
public func expectWardenError(
    _ code: WardenError.Code,
    containing fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
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

/// Expects the async `body` to throw a `WardenError` with `code` whose message contains
/// `text`: the error a user would see. (The async twin of `expectWardenError`.)
public func expectAsyncWardenError(
    _ code: WardenError.Code,
    containing text: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    await expectAsyncWardenError(code, containing: [text], sourceLocation: sourceLocation, body)
}

/// Expects the async `body` to throw a `WardenError` with `code` whose message contains every one of `fragments`.
public func expectAsyncWardenError(
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
