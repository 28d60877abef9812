import Foundation
import Testing
@_exported import WardenTestSupport
import WardenCore
import WardenRegistry

/// A `SemanticVersion` from a literal the test knows is valid.
func v(_ text: String) -> SemanticVersion {
    guard let version = SemanticVersion(text) else { fatalError("test uses an invalid version '\(text)'") }
    return version
}

/// The SHA-256 of a UTF-8 string, as a `Digest`.
func sha(_ text: String) -> Digest {
    Digest.sha256(Array(text.utf8))
}
