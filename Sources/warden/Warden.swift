import ArgumentParser
import Foundation
import WardenCore

@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "A trusted model registry and inference server.",
        discussion: """
            Exit codes: 0 success; 1 the thing checked is not OK (verification failed); 2 usage or input error.
            """,
        version: WardenVersion.current,
        subcommands: [HashCommand.self, KeygenCommand.self, SignCommand.self, VerifyCommand.self, InspectCommand.self, DiffCommand.self, ServeCommand.self, PushCommand.self, PullCommand.self, ModelsCommand.self, VersionsCommand.self, ShowCommand.self, AliasCommand.self, TokenCommand.self, FsckCommand.self, PredictCommand.self, InferCommand.self, RolloutCommand.self, RollbackCommand.self, AuditCommand.self]
    )

    /// Parses and runs, with Warden's exit codes: argument-parser's usage
    /// failures (its 64) become 2, like every other input error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
