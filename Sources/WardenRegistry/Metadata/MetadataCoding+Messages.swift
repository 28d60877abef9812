import Foundation
import WardenCore

/// The errors a user sees from any metadata store, worded once.
extension MetadataCoding {
    static func emptyModelName() -> WardenError {
        WardenError(.invalidArgument, "a model needs a name")
    }

    static func emptyAliasName() -> WardenError {
        WardenError(.invalidArgument, "an alias needs a name, such as 'production'")
    }

    static func pageLimit(_ limit: Int, of what: String = "a page") -> WardenError? {
        limit > 0 ? nil : WardenError(.invalidArgument, "\(what) needs a limit of at least 1, not \(limit)")
    }

    static func modelExists(_ name: String) -> WardenError {
        WardenError(.conflict, "model '\(name)' already exists; choose another name, or publish a new version of '\(name)'")
    }

    static func unknownModel(_ name: String) -> WardenError {
        WardenError(.notFound, "model '\(name)' does not exist; check the name, or create the model first")
    }

    static func modelHasVersions(_ name: String, count: Int) -> WardenError {
        WardenError(
            .conflict,
            "model '\(name)' has \(count) version\(count == 1 ? "" : "s") and cannot be deleted; "
                + "versions are kept for audit, yank them instead"
        )
    }

    static func unknownModelForVersion(_ new: NewVersion) -> WardenError {
        WardenError(.notFound, "model '\(new.model)' does not exist; create it before publishing version \(new.version)")
    }

    /// `existing` is the stored version that `new` has the precedence of.
    static func versionExists(_ new: NewVersion, existing: String) -> WardenError {
        let same = existing == new.version.description
        return WardenError(
            .conflict,
            "model '\(new.model)' already has version \(existing)"
                + (same ? "" : ", which \(new.version) equals (SemVer ignores build metadata)")
                + "; versions are immutable, publish a new version"
        )
    }

    /// A file list the database refused: a path twice, or a negative size.
    static func badFileList(_ new: NewVersion, _ file: FileEntry, cause: any Error) -> WardenError {
        WardenError(
            .invalidArgument,
            file.size < 0
                ? "file '\(file.path)' of \(new.model)@\(new.version) has a negative size (\(file.size))"
                : "\(new.model)@\(new.version) lists the file '\(file.path)' more than once; each path may appear once",
            cause: cause
        )
    }

    static func unknownVersionOfKnownModel(_ model: String, _ version: SemanticVersion) -> WardenError {
        WardenError(.notFound, "model '\(model)' has no version \(version); list its versions to pick one that exists")
    }

    static func aliasTargetMissing(model: String, alias: String, version: SemanticVersion) -> WardenError {
        WardenError(.notFound, "cannot point '\(model):\(alias)' at \(version): model '\(model)' has no version \(version); publish it first")
    }

    static func tokenSecretTaken(_ name: String) -> WardenError {
        WardenError(.conflict, "a token with this secret already exists; generate a new secret for '\(name)'")
    }

    static func unknownToken(_ id: Int64) -> WardenError {
        WardenError(.notFound, "no token has id \(id); list the tokens to find the one to revoke")
    }

    static func rolloutVersionMissing(_ model: String, _ version: SemanticVersion) -> WardenError {
        WardenError(.notFound, "model '\(model)' has no version \(version); publish it first")
    }

    static func rolloutActive(_ model: String, phase: String) -> WardenError {
        WardenError(.conflict, "a rollout of \(model) is \(phase); promote, abort or roll it back first")
    }

    static func noRollout(_ model: String) -> WardenError {
        WardenError(.notFound, "\(model) has no rollout; start one with warden rollout start")
    }
}
