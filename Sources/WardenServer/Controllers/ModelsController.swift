import Foundation
import WardenAPI
import Hummingbird
import WardenCore
import WardenRegistry

/// `/api/v1/models`: create, get, list and search, update, delete.
struct ModelsController {
    let registry: Registry

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.listModels, use: list)
        group.on(.createModel, use: create)
        group.on(.getModel, use: show)
        group.on(.updateModel, use: update)
        group.on(.deleteModel, use: delete)
    }

    @Sendable func list(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let limit = try request.integer("limit", default: 100, range: 1...1000)
        let page = try await registry.listModels(prefix: request.query("prefix"), tag: request.query("tag"), limit: limit, cursor: request.query("cursor"))
        return JSONBody.response(ModelList(models: page.items.map(ModelResource.init), nextCursor: page.nextCursor))
    }

    @Sendable func create(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.publisher)
        let body = try await JSONBody.read(request, context: context)
        let name = try body.field("name").string()
        try ModelReference.validateName(name)
        let description = try body.optionalField("description")?.string() ?? ""
        let tags = try Self.tags(body)
        let model = try await registry.createModel(name: name, description: description, tags: tags, actor: context.actor)
        return JSONBody.response(ModelResource(model), status: .created)
    }

    @Sendable func show(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let name = try context.modelName()
        guard let model = try await registry.model(named: name) else { throw Self.noModel(name) }
        let versions = try await registry.versions(of: name)
        let latest = versions.last(where: { !$0.yanked && !$0.version.isPrerelease }) ?? versions.last(where: { !$0.yanked })
        let aliases = try await registry.aliases(of: name).map(AliasResource.init)
        return JSONBody.response(ModelDetail(model: ModelResource(model), versionCount: versions.count, latest: latest?.version.description, aliases: aliases))
    }

    @Sendable func update(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.publisher)
        let name = try context.modelName()
        let body = try await JSONBody.read(request, context: context)
        let description = try body.optionalField("description")?.string()
        let tags = try body.optionalField("tags") == nil ? nil : try Self.tags(body)
        let model = try await registry.updateModel(name: name, description: description, tags: tags, actor: context.actor)
        return JSONBody.response(ModelResource(model))
    }

    @Sendable func delete(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.admin)
        try await registry.deleteModel(name: try context.modelName(), actor: context.actor)
        return Response(status: .noContent)
    }

    static func tags(_ body: JSONField) throws -> [String] {
        guard let field = try body.optionalField("tags") else { return [] }
        return try field.array().map { item in
            let tag = try item.string()
            guard (1...64).contains(tag.unicodeScalars.count), !tag.contains(",") else { throw item.error("must be 1 to 64 characters without commas") }
            return tag
        }
    }

    static func noModel(_ name: String) -> WardenError {
        WardenError(.notFound, "model '\(name)' does not exist; list models with GET /api/v1/models or warden models")
    }
}
