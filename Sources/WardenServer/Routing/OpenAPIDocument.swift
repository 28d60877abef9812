import Foundation
import WardenCore
import Yams

/// The API contract, `openapi.yaml`, as installed in this module's bundle and served
/// at `GET /openapi.yaml`.
///
/// ```swift
/// let operations = try OpenAPIDocument.operations()   // [GET /healthz (getHealth), …]
/// ```
public enum OpenAPIDocument {
    /// One operation of the spec: a method on a path, with its `operationId`.
    public struct Operation: Hashable, Sendable, CustomStringConvertible {
        /// Upper case, as on the wire: `GET`.
        public let method: String
        /// OpenAPI's form: `/api/v1/models/{model}`.
        public let path: String
        public let operationID: String?

        public init(method: String, path: String, operationID: String?) {
            self.method = method
            self.path = path
            self.operationID = operationID
        }

        public var description: String { "\(method) \(path) (\(operationID ?? "no operationId"))" }
    }

    /// The keys of a path item that are operations (OpenAPI 3.1 §4.8.9).
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The spec's bytes.
    /// - Throws: `.notFound` when the resource is missing from the installation.
    public static func data() throws -> Data {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let data = try? Data(contentsOf: url) else {
            throw WardenError(.notFound, "openapi.yaml is not installed beside this binary")
        }
        return data
    }

    /// Every operation of the installed spec, sorted by path then method.
    public static func operations() throws -> [Operation] {
        try operations(yaml: String(decoding: data(), as: UTF8.self))
    }

    /// Every operation of a spec given as YAML text, sorted by path then method.
    /// - Throws: `.invalidArgument` when the text is not YAML or has no `paths` mapping.
    public static func operations(yaml: String) throws -> [Operation] {
        let root: Any?
        do {
            root = try Yams.load(yaml: yaml)
        } catch {
            throw WardenError(.invalidArgument, "openapi.yaml is not valid YAML: \(error)", cause: error)
        }
        guard let paths = (root as? [String: Any])?["paths"] as? [String: Any] else {
            throw WardenError(.invalidArgument, "openapi.yaml has no 'paths' mapping")
        }
        var operations: [Operation] = []
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            for method in methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                operations.append(Operation(method: method.uppercased(), path: path, operationID: operation["operationId"] as? String))
            }
        }
        return operations.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }
}
