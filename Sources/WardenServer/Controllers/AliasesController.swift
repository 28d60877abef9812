import WardenAPI
import Hummingbird
import WardenCore
import WardenRegistry

/// `/api/v1/models/:model/aliases`: set, get, delete, list, and the history of every move.
struct AliasesController {
    let registry: Registry

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.listAliases, use: list)
        group.on(.getAlias, use: show)
        group.on(.setAlias, use: set)
        group.on(.deleteAlias, use: delete)
        group.on(.getAliasHistory, use: history)
        group.on(.getModelAliasHistory, use: history)
    }

    @Sendable func list(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let name = try context.modelName()
        guard try await registry.model(named: name) != nil else { throw ModelsController.noModel(name) }
        return JSONBody.response(AliasList(model: name, aliases: try await registry.aliases(of: name).map(AliasResource.init)))
    }

    @Sendable func show(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let name = try context.modelName()
        let alias = try context.aliasName()
        guard let record = try await registry.alias(model: name, alias) else {
            // The alias is not the problem when the model itself is missing (a typo in its name).
            guard try await registry.model(named: name) != nil else { throw ModelsController.noModel(name) }
            throw WardenError(.notFound, "\(name) has no alias '\(alias)'; set it with PUT …/aliases/\(alias) or warden alias set \(name) \(alias) VERSION")
        }
        return JSONBody.response(AliasResource(record))
    }

    @Sendable func set(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.deployer)
        let name = try context.modelName()
        let alias = try context.aliasName()
        let body = try await JSONBody.read(request, context: context)
        let version = try SemanticVersion(parsing: try body.field("version").string())
        let move = try await registry.moveAlias(model: name, alias: alias, to: version, actor: context.actor)
        return JSONBody.response(AliasMoveResource(move))
    }

    @Sendable func delete(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.deployer)
        let name = try context.modelName()
        let alias = try context.aliasName()
        guard let move = try await registry.removeAlias(model: name, alias: alias, actor: context.actor) else {
            throw WardenError(.notFound, "\(name) has no alias '\(alias)'")
        }
        return JSONBody.response(AliasMoveResource(move))
    }

    @Sendable func history(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let name = try context.modelName()
        let alias = context.parameters.get("alias") == nil ? nil : try context.aliasName()
        guard try await registry.model(named: name) != nil else { throw ModelsController.noModel(name) }
        let moves = try await registry.aliasHistory(model: name, alias: alias)
        return JSONBody.response(AliasHistory(model: name, history: moves.map(AliasMoveResource.init)))
    }
}
