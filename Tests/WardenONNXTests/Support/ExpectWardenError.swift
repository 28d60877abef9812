import Testing
import WardenCore

/// Expects `body` to throw a `WardenError` with `code` whose message contains `text`:
/// the error a user would see.
func expectWardenError(
    _ code: WardenError.Code,
    containing text: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        guard let error = error as? WardenError else { return false }
        return error.code == code && error.message.contains(text)
    }
}

/// Expects `body` to throw a `WardenError` with `code` whose message contains every one of `fragments`.
func expectWardenError(
    _ code: WardenError.Code,
    containing fragments: [String],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        guard let error = error as? WardenError else { return false }
        return error.code == code && fragments.allSatisfy { error.message.contains($0) }
    }
}
