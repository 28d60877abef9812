/// How a model on disk differs from the manifest that was signed, file by file.
public struct ManifestDifference: Error, Sendable, Equatable {
    /// Files present in both whose bytes differ.
    public var modified: [String]
    /// Files the signature lists that are not on disk.
    public var missing: [String]
    /// Files on disk that the signature does not list.
    public var unexpected: [String]

    public var isEmpty: Bool { modified.isEmpty && missing.isEmpty && unexpected.isEmpty }

    /// Compares the expected (signed) manifest with the actual one.
    public init(expected: Manifest, actual: Manifest) {
        let expectedByPath = Dictionary(grouping: expected.resources, by: \.path)
        let actualByPath = Dictionary(grouping: actual.resources, by: \.path)
        func sorted(_ paths: some Sequence<String>) -> [String] { paths.sorted(by: ResourceOrder.precedes) }
        missing = sorted(expectedByPath.keys.filter { actualByPath[$0] == nil })
        unexpected = sorted(actualByPath.keys.filter { expectedByPath[$0] == nil })
        modified = sorted(
            expectedByPath.compactMap { path, signed in
                guard let present = actualByPath[path] else { return nil }
                return Set(signed) == Set(present) ? nil : path
            }
        )
    }

    /// One line per kind of change, for people.
    public var summary: String {
        var parts: [String] = []
        if !modified.isEmpty { parts.append("modified: \(modified.joined(separator: ", "))") }
        if !missing.isEmpty { parts.append("missing: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected: \(unexpected.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
