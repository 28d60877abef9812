import ArgumentParser
import Foundation
import WardenAPI
import WardenClient
import WardenCore

/// `warden yank REF`: marks a version as not to be used (it stays downloadable by exact version).
struct YankCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yank",
        abstract: "Yank a version (NAME@VERSION): bare names and `latest` skip it; pulls by exact version still work (needs a deployer token).",
        discussion: "With --undo, un-yanks it."
    )

    @Argument(help: ArgumentHelp("The version, as NAME@VERSION.", valueName: "name@version"))
    var reference: String

    @Option(name: .long, help: "Why, recorded with the yank and shown by versions and show.")
    var reason: String?

    @Flag(name: .long, help: "Un-yank the version instead.")
    var undo = false

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        if undo, reason != nil { throw ValidationError("--reason goes with a yank, not with --undo") }
    }

    func run() async throws {
        try await runReportingAsync(json: json) {
            let parsed = try ModelReference(parsing: reference)
            guard case .version(let version) = parsed.selector else {
                throw WardenError(.invalidArgument, "yank takes an exact version, NAME@VERSION such as \(parsed.name)@1.2.0, not '\(reference)'")
            }
            let client = options.client
            let record = undo
                ? try await client.unyank(model: parsed.name, version: version)
                : try await client.yank(model: parsed.name, version: version, reason: reason)
            if json {
                printJSON(record)
            } else {
                print("\(undo ? "un-yanked" : "yanked") \(parsed.name)@\(version)\(reason.map { ": \($0)" } ?? "")")
            }
        }
    }
}

/// `warden edit NAME`: a model's description and tags.
struct EditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Change a model's description or tags (needs a publisher token)."
    )

    @Argument(help: "The model's name.")
    var name: String

    @Option(name: .long, help: "The new description.")
    var description: String?

    @Option(name: .long, help: ArgumentHelp("Add a tag (repeatable).", valueName: "tag"))
    var addTag: [String] = []

    @Option(name: .long, help: ArgumentHelp("Remove a tag (repeatable).", valueName: "tag"))
    var removeTag: [String] = []

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        if description == nil, addTag.isEmpty, removeTag.isEmpty {
            throw ValidationError("say what to change: --description TEXT, --add-tag T or --remove-tag T")
        }
        try ModelReference.validateName(name)
    }

    func run() async throws {
        try await runReportingAsync(json: json) {
            let client = options.client
            var tags: [String]?
            if !addTag.isEmpty || !removeTag.isEmpty {
                let current = try await client.model(name).model.tags
                var updated = current.filter { !removeTag.contains($0) }
                for tag in addTag where !updated.contains(tag) { updated.append(tag) }
                tags = updated
            }
            let model = try await client.updateModel(name, description: description, tags: tags)
            if json {
                printJSON(model)
            } else {
                print("\(name): tags [\(model.tags.joined(separator: ","))]; description: \(model.description)")
            }
        }
    }
}

/// `warden search TEXT`: models whose name, description or tags contain TEXT.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find models whose name, description or tags contain TEXT (case-insensitive).",
        discussion: "It reads the model list (warden models) and filters it; --tag narrows it on the server first."
    )

    @Argument(help: "The text to look for.")
    var text: String

    @Option(name: .long, help: "Only models with this tag.")
    var tag: String?

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        try await runReportingAsync(json: json) {
            let needle = text.lowercased()
            let found = try await ModelsCommand.all(options.client, prefix: nil, tag: tag).filter { model in
                let haystack = [model.name, model.description] + model.tags
                return haystack.contains { $0.lowercased().contains(needle) }
            }
            if json {
                printJSON(["models": found])
            } else if found.isEmpty {
                FileHandle.standardError.write(Data("no model's name, description or tags contain '\(text)'\n".utf8))
            } else {
                print(ModelsCommand.table(found), terminator: "")
            }
        }
    }
}
