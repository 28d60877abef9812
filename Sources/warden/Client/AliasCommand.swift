import ArgumentParser
import Foundation
import WardenAPI
import WardenClient
import WardenCore

struct AliasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias",
        abstract: "Point names such as production at versions, and see every move.",
        subcommands: [Set.self, Get.self, Remove.self, History.self]
    )

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Point ALIAS at VERSION (needs a deployer token).")
        @Argument var name: String
        @Argument var alias: String
        @Argument var version: String
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let move = try await options.client.setAlias(model: name, alias, to: try SemanticVersion(parsing: version))
                if json { printJSON(move) } else { print("\(name):\(alias) \(move.from ?? "(unset)") -> \(move.to ?? "")") }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print the version ALIAS names, or every alias of the model.")
        @Argument var name: String
        @Argument var alias: String?
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                if let alias {
                    let record = try await options.client.alias(model: name, alias)
                    if json { printJSON(record) } else { print(record.version) }
                } else {
                    let records = try await options.client.aliases(model: name)
                    if json {
                        printJSON(["aliases": records])
                    } else {
                        print(table(["ALIAS", "VERSION", "UPDATED", "BY"], records.map {
                            [$0.alias, $0.version, RFC3339.string(from: $0.updatedAt), $0.updatedBy]
                        }), terminator: "")
                    }
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove ALIAS (needs a deployer token).")
        @Argument var name: String
        @Argument var alias: String
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let move = try await options.client.deleteAlias(model: name, alias)
                if json { printJSON(move) } else { print("removed \(name):\(alias) (was \(move.from ?? "?"))") }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Every move of ALIAS (or of all the model's aliases), newest first.")
        @Argument var name: String
        @Argument var alias: String?
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let moves = try await options.client.aliasHistory(model: name, alias)
                if json {
                    printJSON(["history": moves])
                } else {
                    print(table(["WHEN", "ALIAS", "FROM", "TO", "BY"], moves.map {
                        [RFC3339.string(from: $0.at), $0.alias, $0.from ?? "-", $0.to ?? "-", $0.actor]
                    }), terminator: "")
                }
            }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Manage API tokens (needs an admin token).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token; its secret is printed once.")
        @Option(name: .long, help: "reader, publisher, deployer or admin.") var role: String
        @Option(name: .long, help: "A name for the token (who or what uses it).") var name: String?
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let token = try await options.client.createToken(role: role, name: name)
                if json { printJSON(token) } else {
                    print(token.token ?? "")
                    FileHandle.standardError.write(Data("created \(token.role) token '\(token.name)' (id \(token.id)); the secret is shown only now\n".utf8))
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let tokens = try await options.client.tokens()
                if json { printJSON(["tokens": tokens]) } else {
                    print(table(["ID", "NAME", "ROLE", "CREATED", "BY", "REVOKED"], tokens.map {
                        ["\($0.id)", $0.name, $0.role, RFC3339.string(from: $0.createdAt), $0.createdBy, $0.revokedAt.map(RFC3339.string(from:)) ?? "-"]
                    }), terminator: "")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id.")
        @Argument var id: Int64
        @OptionGroup var options: ClientOptions
        @Flag(name: .long) var json = false

        func run() async throws {
            try await runReportingAsync(json: json) {
                let token = try await options.client.revokeToken(id: id)
                if json { printJSON(token) } else { print("revoked token \(id) ('\(token.name)')") }
            }
        }
    }
}
