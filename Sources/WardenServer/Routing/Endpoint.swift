import HTTPTypes
import Hummingbird

/// Every endpoint the server answers, named by its `operationId` in `openapi.yaml`.
///
/// The one table of routes: controllers register their handlers through it
/// (`group.on(.getModel, use: show)`), the 405 answer reads the methods a path
/// allows from it, and `OpenAPIConformanceTests` checks it against the spec both
/// ways and against what the router really registered.
public enum Endpoint: String, CaseIterable, Sendable {
    // Probes and the contract, outside /api/v1 and without authentication.
    case getHealth, getReadiness, getOpenAPI
    case getAPIInfo
    // Models.
    case listModels, createModel, getModel, updateModel, deleteModel
    // Versions, their files and lineage.
    case listVersions, publishVersion, getVersion, getVersionBundle, yankVersion, unyankVersion
    case getVersionLineage, getVersionFile, getLatestVersion, listVersionsByDataset
    // Aliases and their history.
    case listAliases, getAlias, setAlias, deleteAlias, getAliasHistory, getModelAliasHistory
    // Content-addressed blobs.
    case headBlob, getBlob, putBlob
    // The event log and tokens.
    case listEvents, listTokens, createToken, revokeToken
    // Rollouts.
    case startRollout, getRollout, controlRollout
    // Prometheus metrics.
    case getMetrics
    // The Open Inference Protocol (KServe V2) with Triton's extensions, under /v2.
    case v2ServerMetadata, v2ServerLive, v2ServerReady, v2AllModelStats
    case v2ModelMetadata, v2ModelVersionMetadata, v2ModelReady, v2ModelVersionReady
    case v2ModelConfig, v2ModelVersionConfig, v2ModelStats, v2ModelVersionStats
    case v2ModelInfer, v2ModelVersionInfer
    case v2RepositoryIndex, v2RepositoryLoad, v2RepositoryUnload

    /// The OpenAPI `operationId`.
    public var operationID: String { rawValue }

    public var method: HTTPRequest.Method { route.method }

    /// The path in Hummingbird's syntax: `:name` captures one segment, `**` the rest of the path.
    public var path: String { route.path }

    private var route: (method: HTTPRequest.Method, path: String) {
        switch self {
        case .getHealth: (.get, "/healthz")
        case .getReadiness: (.get, "/readyz")
        case .getOpenAPI: (.get, "/openapi.yaml")
        case .getAPIInfo: (.get, "/api/v1")

        case .listModels: (.get, "/api/v1/models")
        case .createModel: (.post, "/api/v1/models")
        case .getModel: (.get, "/api/v1/models/:model")
        case .updateModel: (.patch, "/api/v1/models/:model")
        case .deleteModel: (.delete, "/api/v1/models/:model")

        case .listVersions: (.get, "/api/v1/models/:model/versions")
        case .publishVersion: (.post, "/api/v1/models/:model/versions")
        case .getVersion: (.get, "/api/v1/models/:model/versions/:version")
        case .getVersionBundle: (.get, "/api/v1/models/:model/versions/:version/bundle")
        case .yankVersion: (.post, "/api/v1/models/:model/versions/:version/yank")
        case .unyankVersion: (.delete, "/api/v1/models/:model/versions/:version/yank")
        case .getVersionLineage: (.get, "/api/v1/models/:model/versions/:version/lineage")
        case .getVersionFile: (.get, "/api/v1/models/:model/versions/:version/files/**")
        case .getLatestVersion: (.get, "/api/v1/models/:model/latest")
        case .listVersionsByDataset: (.get, "/api/v1/lineage")

        case .listAliases: (.get, "/api/v1/models/:model/aliases")
        case .getAlias: (.get, "/api/v1/models/:model/aliases/:alias")
        case .setAlias: (.put, "/api/v1/models/:model/aliases/:alias")
        case .deleteAlias: (.delete, "/api/v1/models/:model/aliases/:alias")
        case .getAliasHistory: (.get, "/api/v1/models/:model/aliases/:alias/history")
        case .getModelAliasHistory: (.get, "/api/v1/models/:model/alias-history")

        case .headBlob: (.head, "/api/v1/blobs/:digest")
        case .getBlob: (.get, "/api/v1/blobs/:digest")
        case .putBlob: (.put, "/api/v1/blobs/:digest")

        case .listEvents: (.get, "/api/v1/events")
        case .listTokens: (.get, "/api/v1/tokens")
        case .createToken: (.post, "/api/v1/tokens")
        case .revokeToken: (.delete, "/api/v1/tokens/:id")

        case .startRollout: (.post, "/api/v1/models/:model/rollout")
        case .getRollout: (.get, "/api/v1/models/:model/rollout")
        case .controlRollout: (.post, "/api/v1/models/:model/rollout/:command")

        case .getMetrics: (.get, "/metrics")

        case .v2ServerMetadata: (.get, "/v2")
        case .v2ServerLive: (.get, "/v2/health/live")
        case .v2ServerReady: (.get, "/v2/health/ready")
        case .v2AllModelStats: (.get, "/v2/models/stats")
        case .v2ModelMetadata: (.get, "/v2/models/:model")
        case .v2ModelVersionMetadata: (.get, "/v2/models/:model/versions/:version")
        case .v2ModelReady: (.get, "/v2/models/:model/ready")
        case .v2ModelVersionReady: (.get, "/v2/models/:model/versions/:version/ready")
        case .v2ModelConfig: (.get, "/v2/models/:model/config")
        case .v2ModelVersionConfig: (.get, "/v2/models/:model/versions/:version/config")
        case .v2ModelStats: (.get, "/v2/models/:model/stats")
        case .v2ModelVersionStats: (.get, "/v2/models/:model/versions/:version/stats")
        case .v2ModelInfer: (.post, "/v2/models/:model/infer")
        case .v2ModelVersionInfer: (.post, "/v2/models/:model/versions/:version/infer")
        case .v2RepositoryIndex: (.post, "/v2/repository/index")
        case .v2RepositoryLoad: (.post, "/v2/repository/models/:model/load")
        case .v2RepositoryUnload: (.post, "/v2/repository/models/:model/unload")
        }
    }

    /// The path as OpenAPI writes it: `:name` becomes `{name}`, the `**` catch-all `{path}`.
    public var openAPIPath: String { Self.openAPIPath(RouterPath(path)) }

    /// OpenAPI's form of a Hummingbird path, also for the paths `Router.routes` reports.
    /// (Hummingbird already writes a capture as `{name}`; only the catch-all needs a name.)
    public static func openAPIPath(_ path: RouterPath) -> String {
        "/" + path.components.map { $0 == .recursiveWildcard ? "{path}" : $0.description }.joined(separator: "/")
    }

    /// The methods the table has for a request path (as sent, percent-encoded), in table order;
    /// empty when no endpoint has that path.
    public static func methods(forRequestPath requestPath: String) -> [HTTPRequest.Method] {
        let segments = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        var methods: [HTTPRequest.Method] = []
        for endpoint in allCases where endpoint.matches(segments) && !methods.contains(endpoint.method) {
            methods.append(endpoint.method)
        }
        return methods
    }

    private func matches(_ segments: [Substring]) -> Bool {
        let pattern = RouterPath(path).components
        for (index, element) in pattern.enumerated() {
            if element == .recursiveWildcard { return segments.count > index }
            guard index < segments.count, element ~= segments[index] else { return false }
        }
        return segments.count == pattern.count
    }
}

extension RouterMethods {
    /// Registers `handler` for `endpoint`'s method and path.
    @discardableResult
    func on(_ endpoint: Endpoint, use handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Self {
        on(RouterPath(endpoint.path), method: endpoint.method, use: handler)
    }
}
