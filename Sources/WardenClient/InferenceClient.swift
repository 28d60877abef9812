import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WardenCore
import WardenTensor

/// A client of the Open Inference Protocol (KServe V2) API, as Warden and
/// Triton serve it: tensors go out and come back in Triton's binary tensor data
/// layout (a JSON header, then raw bytes).
///
/// ```swift
/// let client = InferenceClient(server: "http://127.0.0.1:8080", token: nil)
/// let outputs = try await client.infer(model: "iris", inputs: [("input", tensor)])
/// ```
public struct InferenceClient: Sendable {
    public let server: String
    public let token: String?
    let http: HTTPClient

    public init(server: String, token: String?, http: HTTPClient = RegistryClient.http) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.token = token
        self.http = http
    }

    /// What the server answered: the version that ran and the outputs in order.
    public struct Result: Sendable {
        public let model: String
        public let version: String
        public let outputs: [(name: String, tensor: Tensor)]
    }

    func path(_ model: String, _ version: String?) -> String {
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text }
        return server + "/v2/models/" + encode(model) + (version.map { "/versions/" + encode($0) } ?? "")
    }

    /// The version unversioned requests to `model` run on now, or nil when it is not ready.
    public func readyVersion(model: String) async throws -> String? {
        var request = HTTPClientRequest(url: path(model, nil) + "/ready")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["version"] as? String
    }

    /// The inputs the served model takes, from its V2 metadata (`GET /v2/models/{m}`).
    public func inputs(model: String, version: String? = nil) async throws -> [TensorSpec] {
        var request = HTTPClientRequest(url: path(model, version))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        guard response.status == .ok, let inputs = object?["inputs"] as? [[String: Any]] else {
            let message = (object?["error"] as? String) ?? "HTTP \(response.status.code)"
            throw WardenError(response.status == .notFound ? .notFound : .ioFailure, "cannot read \(model)'s metadata: \(message)")
        }
        return inputs.compactMap { entry in
            guard let name = entry["name"] as? String, let type = (entry["datatype"] as? String).flatMap(TensorDataType.init(v2Name:)) else { return nil }
            let shape = (entry["shape"] as? [Int])?.map { $0 < 0 ? TensorDimension.unknown : .fixed(Int64($0)) }
            return TensorSpec(name: name, dataType: type, shape: shape)
        }
    }

    /// Sends the inputs as binary tensors and asks for every output in binary.
    public func infer(model: String, version: String? = nil, inputs: [(name: String, tensor: Tensor)]) async throws -> Result {
        var header: [[String: Any]] = []
        var binary: [UInt8] = []
        for (name, tensor) in inputs {
            let start = binary.count
            TensorBytes.encode(tensor.storage, into: &binary)
            header.append(["name": name, "shape": tensor.shape, "datatype": tensor.dataType.v2Name, "parameters": ["binary_data_size": binary.count - start]])
        }
        let json = try JSONSerialization.data(withJSONObject: ["inputs": header, "parameters": ["binary_data_output": true]])
        var request = HTTPClientRequest(url: path(model, version) + "/infer")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Inference-Header-Content-Length", value: String(json.count))
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: Array(json) + binary))
        return try await send(request)
    }

    /// Sends a V2 JSON request body as it is (`inputs` with `data`), and reads the answer.
    public func infer(model: String, version: String? = nil, json body: [UInt8]) async throws -> Result {
        var request = HTTPClientRequest(url: path(model, version) + "/infer")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws -> Result {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(300))
        } catch {
            throw WardenError(.ioFailure, "cannot reach the inference server at \(server): \(error); start it with warden serve or set --server / WARDEN_SERVER", cause: error)
        }
        let body = Array(try await response.body.collect(upTo: 1 << 30).readableBytesView)
        guard response.status.code < 400 else {
            let message = (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["error"] as? String
            throw WardenError(response.status.code == 404 ? .notFound : .invalidArgument, "the server answered \(response.status.code): \(message ?? response.status.reasonPhrase)")
        }
        let headerLength = response.headers.first(name: "Inference-Header-Content-Length").flatMap(Int.init) ?? body.count
        guard headerLength <= body.count,
              let object = try? JSONSerialization.jsonObject(with: Data(body[0..<headerLength])) as? [String: Any],
              let outputs = object["outputs"] as? [[String: Any]] else {
            throw WardenError(.ioFailure, "the server's answer is not a V2 inference response")
        }
        var offset = headerLength
        var decoded: [(name: String, tensor: Tensor)] = []
        for output in outputs {
            guard let name = output["name"] as? String, let shape = output["shape"] as? [Int],
                  let datatype = output["datatype"] as? String, let type = TensorDataType(v2Name: datatype) else {
                throw WardenError(.ioFailure, "the server's answer has an output without name, shape or a known datatype")
            }
            let count = shape.reduce(1, *)
            let storage: Tensor.Storage
            if let size = (output["parameters"] as? [String: Any])?["binary_data_size"] as? Int {
                guard size >= 0, offset + size <= body.count else { throw WardenError(.ioFailure, "output '\(name)' says \(size) bytes, but the answer is shorter") }
                storage = try TensorBytes.decode(body[offset..<(offset + size)], type: type, count: count)
                offset += size
            } else {
                let data = Self.flatten(output["data"] ?? [])
                storage = try Self.storage(data, type: type, name: name)
            }
            decoded.append((name, Tensor(shape: shape, storage: storage)))
        }
        return Result(model: object["model_name"] as? String ?? "", version: object["model_version"] as? String ?? "", outputs: decoded)
    }

    static func flatten(_ value: Any) -> [Any] {
        if let array = value as? [Any] { return array.flatMap(flatten) }
        return [value]
    }

    static func storage(_ data: [Any], type: TensorDataType, name: String) throws -> Tensor.Storage {
        func numbers() -> [Double] { data.map { ($0 as? Double) ?? ($0 as? Int).map(Double.init) ?? ($0 as? NSNumber)?.doubleValue ?? .nan } }
        switch type {
        case .float32: return .float(numbers().map(Float.init))
        case .float64: return .double(numbers())
        case .int64: return .int64(numbers().map { Int64($0) })
        case .int32: return .int32(numbers().map { Int32($0) })
        case .bool: return .bool(data.map { ($0 as? Bool) ?? false })
        case .string: return .string(data.map { ($0 as? String) ?? "" })
        default: throw WardenError(.ioFailure, "output '\(name)' is \(type), which Warden cannot read from JSON")
        }
    }

}
