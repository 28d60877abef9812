import Foundation
import Testing
import WardenAPI
import WardenServer
import Yams

/// openapi.yaml and the wire types (WardenAPI) describe the same JSON: each type, encoded with
/// every optional field set and again with every one empty, validates against the schema the
/// document gives it (required fields present, no field the schema does not list, each value
/// of the declared type), and a document the type cannot satisfy is caught.
@Suite struct WireTypeSchemaTests {
    static let date = Date(timeIntervalSince1970: 1_764_900_000.123)
    static let alias = AliasResource(model: "fraud", alias: "production", version: "1.2.0", updatedAt: date, updatedBy: "admin")
    static let model = ModelResource(name: "fraud", description: "scores payments", tags: ["team-risk"], createdAt: date, updatedAt: date, createdBy: "admin")
    static let summary = VersionSummary(
        model: "fraud", version: "1.2.0", manifestDigest: "sha256:" + String(repeating: "ab", count: 32), size: 42, fileCount: 1,
        signed: true, signers: ["ecdsa:abc"], yanked: true, yankReason: "bad calibration", createdAt: date, createdBy: "admin",
        requiredBump: "MINOR", baseline: "1.1.0"
    )
    static let bareSummary = VersionSummary(
        model: "fraud", version: "0.1.0", manifestDigest: "sha256:" + String(repeating: "cd", count: 32), size: 0, fileCount: 0,
        signed: false, signers: [], yanked: false, yankReason: nil, createdAt: date, createdBy: "admin", requiredBump: nil, baseline: nil
    )
    static let file = FileResource(path: "model.onnx", digest: "sha256:" + String(repeating: "ef", count: 32), size: 42)
    static let lineage = LineageResource(parent: "fraud@1.1.0", dataset: "sha256:" + String(repeating: "01", count: 32), codeRevision: "abc123", runURL: "https://ci.example/run/1")
    static let bareLineage = LineageResource(parent: nil, dataset: nil, codeRevision: nil, runURL: nil)
    static let description: JSONValue = .object(["format": .string("onnx"), "signature": .object(["inputs": .array([]), "outputs": .array([])])])
    static let event = EventResource(
        sequence: 7, kind: "alias.set", actor: "admin", at: date, model: "fraud", version: "1.2.0", alias: "production",
        detail: ["from": .string("1.1.0")]
    )

    /// Each schema of the document with values of the type that answers it.
    static let cases: [(schema: String, values: [any Encodable & Sendable])] = [
        ("Model", [model]),
        ("ModelDetail", [
            ModelDetail(model: model, versionCount: 2, latest: "1.2.0", aliases: [alias]),
            ModelDetail(model: model, versionCount: 0, latest: nil, aliases: []),
        ]),
        ("ModelList", [ModelList(models: [model], nextCursor: "fraud"), ModelList(models: [], nextCursor: nil)]),
        ("UpdateModelRequest", [UpdateModelRequest(description: "x", tags: ["a"]), UpdateModelRequest()]),
        ("FileEntry", [file]),
        ("Lineage", [lineage, bareLineage]),
        ("VersionSummary", [summary, bareSummary]),
        ("Version", [VersionDetail(summary: summary, files: [file], lineage: lineage, description: description)]),
        ("PublishedVersion", [VersionDetail(summary: bareSummary, files: [], lineage: bareLineage, description: description, created: true)]),
        ("VersionList", [VersionList(model: "fraud", versions: [summary, bareSummary])]),
        ("PublishRequest", [
            PublishRequest(version: "1.2.0", files: [file], bundle: .object(["mediaType": .string("application/vnd.dev.sigstore.bundle.v0.3+json")])),
            PublishRequest(version: "1.2.0", files: [file], bundle: nil),
        ]),
        ("YankRequest", [YankRequest(reason: "bad"), YankRequest(reason: nil)]),
        ("VersionLineage", [
            LineageGraph(model: "fraud", version: "1.2.0", lineage: lineage, parent: .init(model: "fraud", version: "1.1.0", registered: true), children: [.init(model: "fraud", version: "1.3.0")]),
            LineageGraph(model: "fraud", version: "1.2.0", lineage: bareLineage, parent: nil, children: []),
        ]),
        ("DatasetVersions", [DatasetVersions(dataset: "sha256:" + String(repeating: "01", count: 32), versions: [summary])]),
        ("Alias", [alias]),
        ("AliasList", [AliasList(model: "fraud", aliases: [alias])]),
        ("AliasMove", [
            AliasMoveResource(model: "fraud", alias: "production", from: "1.1.0", to: "1.2.0", actor: "admin", at: date),
            AliasMoveResource(model: "fraud", alias: "production", from: nil, to: nil, actor: "admin", at: date),
        ]),
        ("AliasHistory", [AliasHistory(model: "fraud", history: [])]),
        ("SetAliasRequest", [SetAliasRequest(version: "1.2.0")]),
        ("BlobUpload", [BlobUploadResult(digest: "sha256:" + String(repeating: "ef", count: 32), size: 42, created: true)]),
        ("Event", [event, EventResource(sequence: 1, kind: "model.created", actor: "admin", at: date, model: nil, version: nil, alias: nil, detail: [:])]),
        ("EventPage", [EventList(events: [event], next: 7)]),
        ("Token", [TokenResource(id: 3, name: "ci", role: "publisher", createdAt: date, createdBy: "admin", revoked: true, revokedAt: date)]),
        ("NewToken", [TokenResource(id: 3, name: "ci", role: "publisher", createdAt: date, createdBy: "admin", revoked: false, revokedAt: nil, token: "wdn_secret")]),
        ("TokenList", [TokenList(tokens: [])]),
        ("CreateTokenRequest", [CreateTokenRequest(role: "reader", name: "dash"), CreateTokenRequest(role: "reader", name: nil)]),
        ("Error", [
            ErrorBody(.init(code: "not_found", message: "no model named 'x'")),
            ErrorBody(.init(code: "semver_violation", message: "needs a minor bump", semver: .init(requiredBump: "MINOR", allowedBump: "PATCH", baseline: "1.1.0", suggestedVersion: "1.2.0", reasons: ["input added"]))),
        ]),
    ]

    @Test(arguments: cases.map(\.schema))
    func theTypeMatchesItsSchema(schema name: String) throws {
        let document = try Self.document()
        let values = try #require(Self.cases.first { $0.schema == name }).values
        for value in values {
            let json = try JSONSerialization.jsonObject(with: APIJSON.encode(value), options: [.fragmentsAllowed])
            let problems = SchemaCheck(document: document).problems(json, against: ["$ref": "#/components/schemas/\(name)"], at: name)
            #expect(problems.isEmpty, "\(type(of: value)) does not match openapi.yaml's \(name): \(problems.joined(separator: "; "))")
        }
    }

    @Test func aFieldTheDocumentDoesNotListIsCaught() throws {
        let document = try Self.document()
        var json = try #require(JSONSerialization.jsonObject(with: APIJSON.encode(Self.alias)) as? [String: Any])
        json["colour"] = "blue"
        json["version"] = nil
        let problems = SchemaCheck(document: document).problems(json, against: ["$ref": "#/components/schemas/Alias"], at: "Alias")
        #expect(problems.contains("Alias: 'colour' is not in the schema"))
        #expect(problems.contains("Alias: 'version' is required but absent"))
    }

    @Test func everyTypedSchemaIsInTheDocument() throws {
        let schemas = try #require(((Self.document()["components"] as? [String: Any])?["schemas"]) as? [String: Any])
        let missing = Self.cases.map(\.schema).filter { schemas[$0] == nil }
        #expect(missing.isEmpty, "openapi.yaml has no schema \(missing)")
    }

    static func document() throws -> [String: Any] {
        let text = String(decoding: try OpenAPIDocument.data(), as: UTF8.self)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }
}

/// The part of JSON Schema the document uses: `$ref`, `allOf`, `oneOf`/`anyOf`, `type` (one or
/// a list, `null` included), `properties`, `required`, `items`, `enum`, `const`.
struct SchemaCheck {
    let document: [String: Any]

    func problems(_ value: Any, against schema: [String: Any], at path: String) -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let resolved = resolve(reference) else { return ["\(path): \(reference) does not resolve"] }
            return problems(value, against: resolved, at: path)
        }
        var found: [String] = []
        if let parts = schema["allOf"] as? [[String: Any]] {
            // allOf of objects: the value must meet each part, and may hold the fields of all of them.
            let merged = parts.map(flatten).reduce(into: [String: Any]()) { $0.merge($1) { a, _ in a } }
            var properties: [String: Any] = [:]
            var required: [String] = []
            for part in parts.map(flatten) {
                properties.merge(part["properties"] as? [String: Any] ?? [:]) { a, _ in a }
                required += part["required"] as? [String] ?? []
            }
            var combined = merged
            combined["properties"] = properties
            combined["required"] = required
            combined["allOf"] = nil
            return problems(value, against: combined, at: path)
        }
        for key in ["oneOf", "anyOf"] {
            if let options = schema[key] as? [[String: Any]] {
                if options.allSatisfy({ !problems(value, against: $0, at: path).isEmpty }) {
                    found.append("\(path): matches none of its \(key) options")
                }
                return found
            }
        }
        if let allowed = schema["enum"] as? [Any], !allowed.contains(where: { "\($0)" == "\(value)" }) {
            found.append("\(path): \(value) is not one of \(allowed)")
        }
        let types: [String] = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty, !types.contains(where: { Self.value(value, is: $0) }) {
            return found + ["\(path): \(Self.describe(value)) where the schema says \(types.joined(separator: " or "))"]
        }
        if let object = value as? [String: Any], let properties = schema["properties"] as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): '\(key)' is required but absent")
            }
            let extraAllowed = schema["additionalProperties"].map { ($0 as? Bool) != false } ?? false
            for (key, field) in object.sorted(by: { $0.key < $1.key }) {
                if let fieldSchema = properties[key] as? [String: Any] {
                    found += problems(field, against: fieldSchema, at: "\(path).\(key)")
                } else if !extraAllowed {
                    found.append("\(path): '\(key)' is not in the schema")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() {
                found += problems(item, against: items, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    /// A schema with its `$ref` followed (once per level), for merging `allOf` parts.
    private func flatten(_ schema: [String: Any]) -> [String: Any] {
        if let reference = schema["$ref"] as? String, let resolved = resolve(reference) { return flatten(resolved) }
        if let parts = schema["allOf"] as? [[String: Any]] {
            var merged: [String: Any] = [:]
            var properties: [String: Any] = [:]
            var required: [String] = []
            for part in parts.map(flatten) {
                merged.merge(part) { a, _ in a }
                properties.merge(part["properties"] as? [String: Any] ?? [:]) { a, _ in a }
                required += part["required"] as? [String] ?? []
            }
            merged["properties"] = properties
            merged["required"] = required
            merged["allOf"] = nil
            return merged
        }
        return schema
    }

    private func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    private static func value(_ value: Any, is type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "string": return value is String
        case "boolean": return isBool(value)
        case "integer": return !isBool(value) && (value as? NSNumber).map { $0.doubleValue.rounded() == $0.doubleValue } ?? false
        case "number": return !isBool(value) && value is NSNumber
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        default: return false
        }
    }

    /// JSONSerialization reads `true` and `1` both as NSNumber (and both pass `is Bool`); a
    /// boolean's storage type is a C char, which it never uses for a JSON number.
    private static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    private static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if isBool(value) { return "a boolean" }
        if value is String { return "a string" }
        if value is NSNumber { return "a number" }
        if value is [Any] { return "an array" }
        return "an object"
    }
}
