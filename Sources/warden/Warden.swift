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
        // No `version:` here: argument-parser would then add a built-in `--version` flag
        // to every subcommand, and when parsing fails it falls back to that flag,
        // so `warden push DIR --version 2.0.0` with a typo printed Warden's own
        // version and exited 0 without publishing. `warden --version` is handled
        // in `main()` instead, for the root command alone.
        subcommands: [HashCommand.self, KeygenCommand.self, SignCommand.self, VerifyCommand.self, InspectCommand.self, DiffCommand.self, ServeCommand.self, PushCommand.self, PullCommand.self, ModelsCommand.self, VersionsCommand.self, ShowCommand.self, SearchCommand.self, EditCommand.self, YankCommand.self, AliasCommand.self, TokenCommand.self, FsckCommand.self, GCCommand.self, PredictCommand.self, InferCommand.self, RolloutCommand.self, RollbackCommand.self, AuditCommand.self]
    )

    /// Parses and runs, with Warden's exit codes: argument-parser's usage
    /// failures (its 64) become 2, like every other input error.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] {
            print(WardenVersion.current)
            return
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((lowercasedPrefix(fullMessage(for: error)) + "\n").utf8))
                Foundation.exit(2)
            }
            if code == .success || error is ExitCode {
                exit(withError: error)  // --help, or an exit code a command chose after printing its error
            }
            // Every other error is printed the way commands print theirs: "error: …", exit 2.
            FileHandle.standardError.write(Data((lowercasedPrefix(fullMessage(for: error)) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    /// argument-parser starts its messages with "Error: "; Warden's all start with "error: ".
    static func lowercasedPrefix(_ message: String) -> String {
        message.hasPrefix("Error: ") ? "error: " + message.dropFirst("Error: ".count) : message
    }
}
