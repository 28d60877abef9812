import Foundation
import WardenCore
import Yams

extension ModelCard {
    /// Reads `warden.yaml` from `directory`, or nil when there is none.
    /// - Throws: `.invalidCard` naming the file, line and field that is wrong.
    public static func load(fromDirectory directory: String) throws -> ModelCard? {
        let path = (directory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw WardenError(.unreadableFile, "cannot read '\(path)': \(error.localizedDescription)", cause: error)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw WardenError(.invalidCard, "\(fileName) is not UTF-8 text; save it as UTF-8")
        }
        return try ModelCard(yaml: text, source: fileName)
    }

    /// Parses a card.
    /// - Parameter source: the name errors give the card (`warden.yaml`).
    /// - Throws: `.invalidCard` with `source:line:column: field: what is wrong; what to do`.
    public init(yaml: String, source: String = ModelCard.fileName) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw WardenError(.invalidCard, "\(source) is not valid YAML: \(Self.describeYAMLError(error)); fix the syntax", cause: error)
        }
        let reader = CardReader(source: source)
        guard let root else {
            self.init()
            return
        }
        try self.init(reader.mapping(root, field: "(top level)"), reader: reader)
    }

    private init(_ fields: [(key: String, value: Node)], reader: CardReader) throws {
        self.init()
        for (key, value) in fields {
            switch key {
            case "name":
                let name = try reader.string(value, field: key)
                do { try ModelReference.validateName(name) } catch let error as WardenError {
                    throw reader.fail(value, field: key, error.message)
                }
                self.name = name
            case "description": description = try reader.string(value, field: key)
            case "format":
                let text = try reader.string(value, field: key).lowercased()
                guard let format = ModelFormat.known.first(where: { $0.rawValue == text }) else {
                    throw reader.fail(value, field: key, "unknown format '\(text)'; use one of \(ModelFormat.known.map(\.rawValue).joined(separator: ", "))")
                }
                self.format = format
            case "framework": framework = try reader.string(value, field: key)
            case "inputs": inputs = try reader.tensors(value, field: key)
            case "outputs": outputs = try reader.tensors(value, field: key)
            case "labels":
                labels = try reader.sequence(value, field: key).enumerated().map { try reader.string($1, field: "labels[\($0)]") }
            case "lineage": lineage = try reader.lineage(value)
            case "serving": serving = try reader.mapping(value, field: key, "must be a mapping of settings")
            case "contracts": contracts = try reader.mapping(value, field: key, "must map output names to their rules (range, finite, sums_to_one, allowed, on_violation)")
            case "drift": drift = try reader.mapping(value, field: key, "must map input names to reference histograms (a list, one per feature: edges and fractions)")
            case "preprocess", "postprocess":
                let file = try reader.string(value, field: key)
                guard !file.isEmpty, !file.contains("/"), !file.hasPrefix("."), file.hasSuffix(".wasm") || file.hasSuffix(".wat") else {
                    throw reader.fail(value, field: key, "must name a .wasm or .wat file in the model directory, such as \(key == "preprocess" ? "pre" : "post").wasm")
                }
                if key == "preprocess" { preprocess = file } else { postprocess = file }
            case "sandbox": sandbox = try reader.mapping(value, field: key, "must be a mapping of limits (fuel, max_memory_pages, timeout_ms)")
            case "metadata": metadata = try reader.mapping(value, field: key, "must be a mapping of free-form keys and values")
            default:
                throw reader.fail(value, field: key, "unknown field; the card's fields are \(CardReader.topLevelFields.joined(separator: ", ")), and free-form data goes under 'metadata'")
            }
        }
    }

    static func describeYAMLError(_ error: any Error) -> String {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
                return "line \(mark.line), column \(mark.column): \(problem)" + (context.map { " \($0.text)" } ?? "")
            case .composer(let context, let problem, let mark, _):
                return "line \(mark.line), column \(mark.column): \(problem)" + (context.map { " \($0.text)" } ?? "")
            default:
                return String(describing: yamlError)
            }
        }
        return String(describing: error)
    }
}

/// Walks the YAML tree, turning each node into a typed value or an error
/// that names the file, the position and the field.
struct CardReader {
    static let topLevelFields = ["name", "description", "format", "framework", "inputs", "outputs", "labels", "lineage", "serving", "contracts", "drift", "preprocess", "postprocess", "sandbox", "metadata"]

    let source: String

    func fail(_ node: Node, field: String, _ why: String) -> WardenError {
        let position = node.mark.map { ":\($0.line):\($0.column)" } ?? ""
        return WardenError(.invalidCard, "\(source)\(position): \(field): \(why)")
    }

    func mapping(_ node: Node, field: String) throws -> [(key: String, value: Node)] {
        guard case .mapping(let mapping) = node else {
            throw fail(node, field: field, "must be a mapping (key: value), not \(kind(node))")
        }
        var seen = Set<String>()
        var fields: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else { throw fail(keyNode, field: field, "keys must be plain strings") }
            let key = scalar.string
            guard seen.insert(key).inserted else { throw fail(keyNode, field: field, "key '\(key)' appears twice") }
            fields.append((key, value))
        }
        return fields
    }

    /// A mapping of free values (`serving`, `contracts`, `drift`, `sandbox`, `metadata`), or an error saying `why`.
    func mapping(_ node: Node, field: String, _ why: String) throws -> [String: CardValue] {
        guard case .object(let entries) = try value(node, field: field) else { throw fail(node, field: field, why) }
        return entries
    }

    func sequence(_ node: Node, field: String) throws -> [Node] {
        guard case .sequence(let sequence) = node else {
            throw fail(node, field: field, "must be a list, not \(kind(node))")
        }
        return Array(sequence)
    }

    func string(_ node: Node, field: String) throws -> String {
        guard case .scalar(let scalar) = node, node.null == nil else {
            throw fail(node, field: field, "must be a string, not \(kind(node))")
        }
        return scalar.string
    }

    func kind(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar: node.null != nil ? "empty" : "'\(node.string ?? "")'"
        }
    }

    func tensors(_ node: Node, field: String) throws -> [TensorSpec] {
        var names = Set<String>()
        return try sequence(node, field: field).enumerated().map { index, item in
            let path = "\(field)[\(index)]"
            var name: String?
            var dtype: TensorDataType?
            var shape: [TensorDimension]?
            for (key, value) in try mapping(item, field: path) {
                switch key {
                case "name": name = try string(value, field: "\(path).name")
                case "dtype":
                    let text = try string(value, field: "\(path).dtype")
                    guard let type = TensorDataType(name: text) else {
                        throw fail(value, field: "\(path).dtype", "unknown dtype '\(text)'; use one of \(TensorDataType.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    dtype = type
                case "shape":
                    shape = try sequence(value, field: "\(path).shape").enumerated().map { axis, dim in
                        try dimension(dim, field: "\(path).shape[\(axis)]")
                    }
                default:
                    throw fail(value, field: "\(path).\(key)", "unknown field; a tensor has name, dtype and shape")
                }
            }
            guard let name, !name.isEmpty else { throw fail(item, field: path, "needs a name") }
            guard names.insert(name).inserted else { throw fail(item, field: "\(path).name", "'\(name)' is listed twice") }
            guard let dtype else { throw fail(item, field: path, "needs a dtype, e.g. dtype: float32") }
            return TensorSpec(name: name, dataType: dtype, shape: shape)
        }
    }

    func dimension(_ node: Node, field: String) throws -> TensorDimension {
        guard case .scalar(let scalar) = node else { throw fail(node, field: field, "must be a size, -1 or a name, not \(kind(node))") }
        if let size = node.int {
            if size == -1 { return .unknown }
            guard size >= 0 else { throw fail(node, field: field, "\(size) is not a size; use a non-negative number, -1 or a name for a dynamic dim") }
            return .fixed(Int64(size))
        }
        let name = scalar.string
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_",
              name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" || $0 == "-" })
        else {
            throw fail(node, field: field, "'\(name)' is not a size or a dim name; use a number, -1, or a name such as batch")
        }
        return .symbolic(name)
    }

    func lineage(_ node: Node) throws -> ModelCard.Lineage {
        var lineage = ModelCard.Lineage()
        for (key, value) in try mapping(node, field: "lineage") {
            let field = "lineage.\(key)"
            switch key {
            case "parent":
                let text = try string(value, field: field)
                do {
                    let reference = try ModelReference(parsing: text)
                    guard reference.version != nil else {
                        throw WardenError(.invalidArgument, "'\(text)' names no version; write it as name@version, e.g. fraud-detector@1.3.0")
                    }
                    lineage.parent = reference
                } catch let error as WardenError {
                    throw fail(value, field: field, error.message)
                }
            case "dataset", "dataset_digest":
                let text = try string(value, field: field)
                do { lineage.dataset = try Digest(parsing: text) } catch let error as WardenError {
                    throw fail(value, field: field, error.message)
                }
            case "code_revision": lineage.codeRevision = try string(value, field: field)
            case "run_url":
                let text = try string(value, field: field)
                guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
                    throw fail(value, field: field, "'\(text)' is not an http(s) URL")
                }
                lineage.runURL = text
            default:
                throw fail(value, field: field, "unknown field; lineage has parent, dataset, code_revision and run_url")
            }
        }
        return lineage
    }

    /// A free-form value, typed as YAML's core schema resolves it.
    func value(_ node: Node, field: String) throws -> CardValue {
        switch node {
        case .scalar(let scalar):
            if node.null != nil { return .null }
            if let bool = node.bool { return .bool(bool) }
            if let int = node.int { return .int(int) }
            if scalar.style == .plain, let double = node.float { return .double(double) }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .array(try sequence.enumerated().map { try value($1, field: "\(field)[\($0)]") })
        case .mapping:
            var object: [String: CardValue] = [:]
            for (key, child) in try mapping(node, field: field) {
                object[key] = try value(child, field: "\(field).\(key)")
            }
            return .object(object)
        case .alias:
            throw fail(node, field: field, "YAML aliases are not supported in a model card; write the value out")
        }
    }
}
