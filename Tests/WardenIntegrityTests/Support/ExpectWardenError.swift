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
