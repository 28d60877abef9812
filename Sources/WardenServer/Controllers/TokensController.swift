import WardenAPI
import Hummingbird
import WardenCore
import WardenRegistry

/// `/api/v1/tokens` (admin): create (the secret is shown once), list, revoke.
struct TokensController {
    let registry: Registry

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.listTokens, use: list)
        group.on(.createToken, use: create)
        group.on(.revokeToken, use: revoke)
    }

    @Sendable func list(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.admin)
        return JSONBody.response(TokenList(tokens: try await registry.tokens().map { TokenResource($0) }))
    }

    @Sendable func create(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.admin)
        let body = try await JSONBody.read(request, context: context)
        let roleField = try body.field("role")
        let roleName = try roleField.string()
        // Exactly as the spec lists them (lower case): role names are an enum, not free text.
        guard let role = Role.allCases.first(where: { $0.description == roleName }) else {
            throw roleField.error("must be one of \(Role.allCases.map(\.description).joined(separator: ", "))")
        }
        let name = try body.optionalField("name")?.string() ?? "\(role)-token"
        guard (1...100).contains(name.unicodeScalars.count) else { throw WardenError(.invalidArgument, "name must be 1 to 100 characters") }
        let secret = TokenSecret.generate()
        let record = try await registry.createToken(name: name, role: role, secretHash: TokenSecret.hash(secret), actor: context.actor)
        return JSONBody.response(TokenResource(record, secret: secret), status: .created)
    }

    @Sendable func revoke(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.admin)
        guard let id = Int64(try context.pathParameter("id")) else {
            throw WardenError(.invalidArgument, "the token id must be a number (see GET /api/v1/tokens)")
        }
        return JSONBody.response(TokenResource(try await registry.revokeToken(id: id, actor: context.actor)))
    }
}
