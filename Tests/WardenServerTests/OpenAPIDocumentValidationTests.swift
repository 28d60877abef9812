import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OpenAPIKit
import Testing
import WardenServer
import Yams

/// openapi.yaml is a valid OpenAPI 3.1 document, not only YAML with the right paths:
/// decoded by OpenAPIKit (every object in its place, no unknown keys) and validated
/// (every operation answers something, every `$ref` resolves, path parameters are
/// declared). A schema-driven tester skips any operation it cannot read, so a document
/// that only parses as YAML hides those operations from every contract test.
@Suite struct OpenAPIDocumentValidationTests {
    @Test func theServedDocumentIsValidOpenAPI31() throws {
        let problems = Self.problems(in: try Self.served())
        #expect(problems.isEmpty, "openapi.yaml is not a valid OpenAPI 3.1 document:\n\(problems.joined(separator: "\n"))")
    }

    /// The slip this test exists for: a `components/responses` entry pasted into a path item
    /// leaves the operation above it with `responses: null` and every `$ref` to it dangling.
    @Test func aResponseBlockPastedIntoAPathIsCaught() throws {
        let served = try Self.served()
        let block = """
                V2Error:
                  description: '`{"error": "message"}`; 503 from a full queue carries Retry-After.'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/V2Error'

            """
        // Out of components/responses, and in at the top of /healthz's responses (as the document once had it).
        var broken = served.replacingOccurrences(of: block, with: "")
        #expect(broken != served, "the V2Error response is no longer where this test expects it")
        let healthz = "      responses:\n        '200':\n          description: The server is up."
        #expect(broken.contains(healthz))
        broken = broken.replacingOccurrences(of: healthz, with: "      responses:\n" + block + "        '200':\n          description: The server is up.")
        let problems = Self.problems(in: broken)
        #expect(!problems.isEmpty, "the misplaced block went unnoticed")
    }

    @Test func aDanglingReferenceIsCaught() throws {
        let broken = try Self.served().replacingOccurrences(of: "$ref: '#/components/schemas/Status'", with: "$ref: '#/components/schemas/Statu'")
        let problems = Self.problems(in: broken)
        #expect(problems.contains { $0.contains("reference can be found") && $0.contains("/healthz") }, "\(problems)")
    }

    /// The document lists what the server answers: an example request to every operation,
    /// and one with a model name the server refuses, get a status the operation documents.
    @Test(arguments: ["fraud", "-not-a-name"])
    func everyAnswerToAnExampleRequestIsDocumented(model: String) async throws {
        let document = try YAMLDecoder().decode(OpenAPI.Document.self, from: try Self.served())
        try await ServerHarness.run { harness, client in
            let auth = harness.headers(harness.adminToken)
            for route in document.routes {
                let path = route.path.rawValue
                guard model == "fraud" || path.contains("{model}") else { continue }
                for endpoint in route.pathItem.endpoints {
                    let method = try #require(HTTPRequest.Method(endpoint.method.rawValue.uppercased()))
                    let uri = OpenAPIConformanceTests.example(path).replacingOccurrences(of: "/fraud", with: "/\(model)")
                    let response = try await client.send(uri: uri, method: method, headers: auth)
                    let documented = endpoint.operation.responses.keys.map(\.rawValue)
                    #expect(
                        documented.contains(String(response.status.code)),
                        "\(method) \(uri) answered \(response.status.code), which openapi.yaml does not list for it (\(documented.sorted())): \(String(buffer: response.body))"
                    )
                }
            }
        }
    }

    /// An empty `candidate` is refused (400); the schema must not allow it either, or a
    /// schema-driven client sends it believing it valid.
    @Test func theRolloutCandidateSchemaRefusesWhatTheServerRefuses() async throws {
        let document = try YAMLDecoder().decode(OpenAPI.Document.self, from: try Self.served())
        let request = try #require(document.components.schemas["RolloutRequest"]?.objectContext?.properties["candidate"])
        let candidate = try request.reference.map { try document.components.lookup($0) } ?? request
        let pattern = try #require(candidate.stringContext?.pattern, "candidate has no pattern: any string would do")
        let regex = try NSRegularExpression(pattern: pattern)
        for (value, valid) in [("", false), ("1.0", false), ("v1.0.0", false), ("1.0.0", true), ("2.0.0-rc.1", true)] {
            let matches = regex.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
            #expect(matches == valid, "the schema \(valid ? "refuses" : "allows") candidate '\(value)'")
        }
        try await ServerHarness.run { harness, client in
            let response = try await client.send(
                uri: "/api/v1/models/fraud/rollout", method: .post, headers: harness.headers(harness.adminToken),
                body: ByteBuffer(string: #"{"candidate": ""}"#)
            )
            #expect(response.status == .badRequest, "\(String(buffer: response.body))")
        }
    }

    // MARK: Validation

    static func served() throws -> String {
        String(decoding: try OpenAPIDocument.data(), as: UTF8.self)
    }

    /// What is wrong with a document, one line each; empty when it is valid.
    static func problems(in yaml: String) -> [String] {
        let document: OpenAPI.Document
        do {
            document = try YAMLDecoder().decode(OpenAPI.Document.self, from: yaml)
        } catch {
            return ["cannot decode: \(OpenAPI.Error(from: error).localizedDescription)"]
        }
        var problems: [String] = []
        if document.openAPIVersion != .v3_1_0 {
            problems.append("openapi must be 3.1.0, is \(document.openAPIVersion.rawValue)")
        }
        // Besides the defaults (unique ids and parameters, every $ref resolving), the
        // validations OpenAPIKit leaves opt-in; strict makes its warnings (unknown keys) errors.
        let validator = Validator().validating(
            \.documentContainsPaths, \.pathsContainOperations, \.operationsContainResponses, \.pathParametersAreDefined,
            \.serverVariablesAreDefined, \.jsonSchemaNumericBoundIsValid, \.jsonSchemaArrayLengthBoundIsValid,
            \.jsonSchemaObjectPropertyCountIsValid, \.jsonSchemaStringLengthBoundIsValid
        )
        do {
            try document.validate(using: validator, strict: true)
        } catch let collection as ValidationErrorCollection {
            problems += collection.values.map(\.description)
        } catch {
            problems.append("\(error)")
        }
        return problems
    }
}
