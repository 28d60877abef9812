import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WardenCore
import WardenTensor
import WardenRegistry
import WardenServing

extension HTTPField.Name {
    static let inferenceHeaderContentLength = Self("Inference-Header-Content-Length")!
    static let retryAfter = Self("Retry-After")!
}

/// The Open Inference Protocol (KServe V2) REST API with Triton's binary
/// tensor data, model repository and statistics extensions, under `/v2`.
///
/// Health, metadata, inference and statistics need no token (as in Triton and
/// KServe); loading and unloading through the repository API need a deployer token.
struct InferenceController {
    let serving: Serving
    let maximumRequestSize: Int
    let registry: Registry
    let allowAnonymousRead: Bool

    func addRoutes(to router: Router<WardenRequestContext>) {
        // Paths in the table are absolute: the group adds only the V2 error shape.
        let v2 = router.group().add(middleware: V2ErrorMiddleware())
        v2.on(.v2ServerMetadata) { _, _ in
            JSONBody.response(["name": "warden", "version": WardenVersion.current, "extensions": ["binary_tensor_data", "model_repository", "statistics", "model_configuration"]])
        }
        v2.on(.v2ServerLive) { _, _ in JSONBody.response(["live": true]) }
        v2.on(.v2ServerReady) { _, _ in
            guard serving.source.isReady else { throw WardenError(.unavailable, "the server is still loading its models") }
            return JSONBody.response(["ready": true])
        }
        v2.on(.v2AllModelStats) { _, _ in statistics(serving.server.readyVersions) }
        for versioned in [false, true] {
            v2.on(versioned ? .v2ModelVersionMetadata : .v2ModelMetadata) { _, context in try metadata(context, versioned: versioned) }
            v2.on(versioned ? .v2ModelVersionReady : .v2ModelReady) { _, context in
                let served = try lookup(context, versioned: versioned)
                return JSONBody.response(["name": served.model, "version": served.version, "ready": true])
            }
            v2.on(versioned ? .v2ModelVersionConfig : .v2ModelConfig) { _, context in try configuration(lookup(context, versioned: versioned)) }
            v2.on(versioned ? .v2ModelVersionStats : .v2ModelStats) { _, context in
                let model = try context.parameters.require("model")
                if versioned { return statistics([try lookup(context, versioned: true)]) }
                guard let versions = serving.server.versions(of: model) else {
                    throw WardenError(.notFound, "no model named '\(model)' is served here")
                }
                return statistics(versions.ready)
            }
            v2.on(versioned ? .v2ModelVersionInfer : .v2ModelInfer) { request, context in try await infer(request, context, versioned: versioned) }
        }

        let repository = v2.add(middleware: AuthMiddleware(registry: registry, allowAnonymousRead: allowAnonymousRead))
        repository.on(.v2RepositoryIndex) { request, _ in
            var onlyReady = false
            let buffer = try await request.readWholeBody(limit: 1 << 16) { "the index request is larger than \($0) bytes" }
            if buffer.readableBytes > 0 {
                let root = InferenceField(value: try InferenceJSON.parse(Array(buffer.readableBytesView)[...], what: "the index request"), path: "")
                onlyReady = try root.optionalField("ready")?.bool() ?? false
            }
            let rows: [[String: Any]] = serving.server.index().filter { !onlyReady || $0.state == .ready }.map {
                ["name": $0.name, "version": $0.version, "state": $0.state.rawValue, "reason": $0.reason]
            }
            return JSONBody.response(rows)
        }
        repository.on(.v2RepositoryLoad) { _, context in
            try context.require(.deployer)
            let model = try context.parameters.require("model")
            try ModelReference.validateName(model)
            try await serving.source.load(model: model)
            _ = try serving.server.lookup(model: model, version: nil)  // a refused load answers with its reason
            return JSONBody.response([String: Any]())
        }
        repository.on(.v2RepositoryUnload) { _, context in
            try context.require(.deployer)
            // A name no model can have is a mistake to report, not a model that is already unloaded.
            let model = try context.parameters.require("model")
            try ModelReference.validateName(model)
            try await serving.source.unload(model: model)
            return JSONBody.response([String: Any]())
        }
    }

    /// A registry model that is not served because no production alias names a version gets
    /// an error that says so and how to serve it; anything else keeps `error`.
    private func explainUnserved(_ model: String, _ error: WardenError) async -> WardenError {
        guard (try? await registry.model(named: model)) != nil, (try? await registry.alias(model: model, "production")) == nil else { return error }
        return WardenError(
            .notFound,
            "\(model) is in the registry but is not served: a registry model is served at the version its production alias names, and \(model) has none; set it with warden alias set \(model) production VERSION"
        )
    }

    private func lookup(_ context: WardenRequestContext, versioned: Bool) throws -> ServedVersion {
        try serving.server.lookup(model: context.parameters.require("model"), version: versioned ? context.parameters.require("version") : nil)
    }

    private func infer(_ request: Request, _ context: WardenRequestContext, versioned: Bool) async throws -> Response {
        // During a rollout, unversioned requests are routed by weight, header match or sticky key.
        var routing: [String: String] = [:]
        for field in request.headers { routing[field.name.canonicalName] = field.value }
        let model = try context.parameters.require("model")
        let (served, shadow): (ServedVersion, (ServedVersion, ShadowComparison)?)
        do {
            (served, shadow) = try serving.server.routed(model: model, version: versioned ? context.parameters.require("version") : nil, headers: routing)
        } catch let error as WardenError where error.code == .notFound && !versioned {
            throw await explainUnserved(model, error)
        }
        let buffer = try await request.readWholeBody(limit: maximumRequestSize) {
            "the request body is larger than \($0) bytes (the server's max_request_size)"
        }
        var headerLength: Int?
        if let value = request.headers[.inferenceHeaderContentLength] {
            guard let length = Int(value) else {
                throw WardenError(.invalidArgument, "Inference-Header-Content-Length must be a byte count, got '\(value)'")
            }
            headerLength = length
        }
        let parsed = try V2Request(body: Array(buffer.readableBytesView)[...], headerLength: headerLength)
        // The protocol's datatypes must match exactly, even where the executor computes wider.
        for spec in served.signature.inputs {
            if let sent = parsed.datatypes[spec.name], sent != spec.dataType {
                throw WardenError(.invalidArgument, "input '\(spec.name)' must be \(spec.dataType.v2Name), got \(sent.v2Name)")
            }
        }
        let outputs = try await served.infer(InferenceRequest(inputs: parsed.inputs, outputs: parsed.outputs?.map(\.name), timeout: parsed.timeout))
        if let (candidate, comparison) = shadow {
            // Mirrored to the candidate after stable has answered; the caller never waits for it or sees it.
            let inputs = parsed.inputs
            let wanted = parsed.outputs?.map(\.name)
            Task.detached {
                do {
                    let mirrored = try await candidate.infer(InferenceRequest(inputs: inputs, outputs: wanted))
                    comparison.record(stable: outputs, candidate: mirrored)
                } catch {
                    comparison.recordCandidateError()
                }
            }
        }

        let order = parsed.outputs ?? served.signature.outputs.map { V2Request.Output(name: $0.name, binary: nil) }
        let declared = Dictionary(served.signature.outputs.map { ($0.name, $0.dataType) }, uniquingKeysWith: { first, _ in first })
        let rows = order.compactMap { output -> (name: String, tensor: Tensor, declared: TensorDataType, binary: Bool)? in
            outputs[output.name].map { (output.name, $0, declared[output.name] ?? $0.dataType, output.binary ?? parsed.binaryOutputs) }
        }
        let response = V2Response(model: served.model, version: served.version, id: parsed.id, outputs: rows)
        var headers = HTTPFields()
        if let length = response.headerLength {
            headers[.contentType] = "application/octet-stream"
            headers[.inferenceHeaderContentLength] = String(length)
        } else {
            headers[.contentType] = "application/json"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.bytes)))
    }

    private func metadata(_ context: WardenRequestContext, versioned: Bool) throws -> Response {
        let served = try lookup(context, versioned: versioned)
        let versions = versioned ? [served.version] : (serving.server.versions(of: served.model)?.ready.map(\.version) ?? [served.version])
        func describe(_ specs: [TensorSpec]) -> [[String: Any]] {
            specs.map { ["name": $0.name, "datatype": $0.dataType.v2Name, "shape": Self.dims($0)] }
        }
        return JSONBody.response([
            "name": served.model, "versions": versions, "platform": served.runtime.platform,
            "inputs": describe(served.signature.inputs), "outputs": describe(served.signature.outputs),
        ])
    }

    private func configuration(_ served: ServedVersion) -> Response {
        func describe(_ specs: [TensorSpec]) -> [[String: Any]] {
            specs.map { ["name": $0.name, "data_type": "TYPE_" + $0.dataType.v2Name.replacingOccurrences(of: "BYTES", with: "STRING"), "dims": Self.dims($0)] }
        }
        var config: [String: Any] = [
            "name": served.model, "platform": served.runtime.platform,
            "max_batch_size": served.batches ? served.settings.maxBatchSize : 0,
            "input": describe(served.signature.inputs), "output": describe(served.signature.outputs),
            "instance_group": [["count": served.settings.instances, "kind": "KIND_CPU"]],
            "version": served.version, "manifest_digest": served.manifestDigest.description, "signers": served.signers,
        ]
        if served.batches {
            config["dynamic_batching"] = [
                "preferred_batch_size": served.settings.preferredBatchSizes,
                "max_queue_delay_microseconds": served.settings.maxQueueDelayMicroseconds,
                "default_queue_policy": ["max_queue_size": served.settings.maxQueueSize],
            ]
        }
        return JSONBody.response(config)
    }

    static func dims(_ spec: TensorSpec) -> [Int] {
        (spec.shape ?? []).map { dim in
            if case .fixed(let size) = dim { return Int(size) }
            return -1
        }
    }

    private func statistics(_ versions: [ServedVersion]) -> Response {
        func duration(_ value: InferenceStatistics.Duration) -> [String: Any] { ["count": value.count, "ns": value.nanoseconds] }
        let rows: [[String: Any]] = versions.map { served in
            let stats = served.statistics.snapshot
            return [
                "name": served.model, "version": served.version,
                "last_inference": stats.lastInference, "inference_count": stats.inferenceCount, "execution_count": stats.executionCount,
                "inference_stats": [
                    "success": duration(stats.success), "fail": duration(stats.fail), "queue": duration(stats.queue),
                    "compute_input": duration(stats.computeInput), "compute_infer": duration(stats.computeInfer),
                    "compute_output": duration(stats.computeOutput),
                    "cache_hit": duration(.init()), "cache_miss": duration(.init()),
                ],
                "batch_stats": stats.batches.keys.sorted().map { size -> [String: Any] in
                    let phases = stats.batches[size]!
                    return ["batch_size": size, "compute_input": duration(phases.computeInput), "compute_infer": duration(phases.computeInfer), "compute_output": duration(phases.computeOutput)]
                },
            ]
        }
        return JSONBody.response(["model_stats": rows])
    }
}

/// V2 errors are `{"error": "message"}`, with the status the code maps to; a full
/// queue answers 503 with `Retry-After`.
struct V2ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WardenError {
            var headers = HTTPFields()
            let status: HTTPResponse.Status
            switch error.code {
            case .overloaded:
                status = .serviceUnavailable
                headers[.retryAfter] = "1"
            case .modelUnavailable, .unavailable: status = .serviceUnavailable
            case .timedOut: status = .gatewayTimeout
            default: status = ErrorResponse.status(for: error)
            }
            if status == .internalServerError {
                context.logger.error("inference failed", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            }
            return JSONBody.response(["error": error.message], status: status, headers: headers)
        }
    }
}
