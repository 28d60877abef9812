import ArgumentParser

@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "A trusted model registry and inference server.",
        discussion: """
            Exit codes: 0 success; 1 the thing checked is not OK (verification failed); 2 usage or input error.
            """,
        version: "0.1.0",
        subcommands: [HashCommand.self, KeygenCommand.self, SignCommand.self, VerifyCommand.self]
    )
}
