import Foundation
import WardenAPI
import Hummingbird
import WardenCore
import WardenRegistry

/// `/api/v1/models/:model/versions`: publish, list in SemVer order, show, yank,
/// download files (with `Range`), lineage both ways.
struct VersionsController {
    let registry: Registry

    func addRoutes(to group: RouterGroup<WardenRequestContext>) {
        group.on(.listVersions, use: list)
        group.on(.publishVersion, use: publish)
        group.on(.getVersion, use: show)
        group.on(.getVersionBundle, use: bundle)
        group.on(.yankVersion, use: yank)
        group.on(.unyankVersion, use: unyank)
        group.on(.getVersionLineage, use: lineage)
        group.on(.getVersionFile, use: file)
        group.on(.getLatestVersion, use: latest)
        group.on(.listVersionsByDataset, use: trainedOn)
    }

    @Sendable func list(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let name = try context.modelName()
        guard try await registry.model(named: name) != nil else { throw ModelsController.noModel(name) }
        let versions = try await registry.versions(of: name)
        return JSONBody.response(VersionList(model: name, versions: versions.map(VersionSummary.init)))
    }

    @Sendable func publish(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.publisher)
        let name = try context.modelName()
        let body = try await JSONBody.read(request, context: context)
        let version = try SemanticVersion(parsing: try body.field("version").string())
        let files = try body.field("files").array().map { item in
            let digestField = try item.field("digest")
            let digest: Digest
            do { digest = try Digest(parsing: try digestField.string()) } catch let error as WardenError where error.code == .invalidDigest {
                throw digestField.error("is not a digest: \(error.message)")
            }
            let size = try item.field("size").integer()
            guard size >= 0 else { throw item.error("size must not be negative") }
            return FileEntry(path: try item.field("path").string(), digest: digest, size: size)
        }
        var bundle: [UInt8]?
        if let field = try body.optionalField("bundle") {
            _ = try field.object()
            bundle = Array(try JSONSerialization.data(withJSONObject: field.value, options: [.sortedKeys, .withoutEscapingSlashes]))
        }
        let result = try await registry.publish(.init(model: name, version: version, files: files, bundle: bundle), actor: context.actor)
        return JSONBody.response(VersionDetail(result.version, created: result.created), status: result.created ? .created : .ok)
    }

    @Sendable func show(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        return JSONBody.response(VersionDetail(try await record(context)))
    }

    @Sendable func latest(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let record = try await registry.resolve(ModelReference(name: try context.modelName()))
        return JSONBody.response(VersionDetail(record))
    }

    @Sendable func bundle(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let record = try await record(context)
        guard let bundle = record.bundle else {
            throw WardenError(.notFound, "\(record.model)@\(record.version) was published without a signature")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: bundle)))
    }

    @Sendable func yank(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.deployer)
        let reason: String? =
            if request.headers[.contentLength].map({ $0 != "0" }) ?? false { try await JSONBody.read(request, context: context).optionalField("reason")?.string() } else { nil }
        let record = try await registry.setYanked(model: try context.modelName(), version: try context.version(), yanked: true, reason: reason, actor: context.actor)
        return JSONBody.response(VersionSummary(record))
    }

    @Sendable func unyank(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.deployer)
        let record = try await registry.setYanked(model: try context.modelName(), version: try context.version(), yanked: false, reason: nil, actor: context.actor)
        return JSONBody.response(VersionSummary(record))
    }

    @Sendable func lineage(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let record = try await record(context)
        var parent: LineageGraph.Parent?
        if let name = record.lineage.parentName, let version = record.lineage.parentVersion {
            let stored = try await registry.version(of: name, version)
            parent = LineageGraph.Parent(model: name, version: version.description, registered: stored != nil)
        }
        let children = try await registry.children(of: record.model, record.version)
        return JSONBody.response(LineageGraph(
            model: record.model, version: record.version.description, lineage: LineageResource(record.lineage), parent: parent,
            children: children.map { LineageGraph.Child(model: $0.model, version: $0.version.description) }
        ))
    }

    @Sendable func trainedOn(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        guard let text = request.query("dataset") else {
            throw WardenError(.invalidArgument, "pass the dataset digest: GET /api/v1/lineage?dataset=sha256:…")
        }
        let dataset = try Digest(parsing: text)
        let versions = try await registry.versions(trainedOn: dataset)
        return JSONBody.response(DatasetVersions(dataset: dataset.description, versions: versions.map(VersionSummary.init)))
    }

    @Sendable func file(_ request: Request, context: WardenRequestContext) async throws -> Response {
        try context.require(.reader)
        let record = try await record(context)
        let path = context.parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }.joined(separator: "/")
        guard let entry = record.files.first(where: { $0.path == path }) else {
            throw WardenError(.notFound, "\(record.model)@\(record.version) has no file '\(path)'; its files are listed by GET …/versions/\(record.version)")
        }
        return try await BlobResponse.make(registry, entry.digest, request: request)
    }

    private func record(_ context: WardenRequestContext) async throws -> VersionRecord {
        let name = try context.modelName()
        let version = try context.version()
        guard let record = try await registry.version(of: name, version) else {
            if try await registry.model(named: name) == nil { throw ModelsController.noModel(name) }
            throw WardenError(.notFound, "\(name)@\(version) does not exist; list versions with GET /api/v1/models/\(name)/versions")
        }
        return record
    }
}
