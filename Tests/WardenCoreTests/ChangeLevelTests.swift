import Testing
import WardenCore

@Suite struct ChangeLevelTests {
    private func v(_ text: String) throws -> SemanticVersion { try SemanticVersion(parsing: text) }

    @Test(arguments: [
        ("1.4.0", "1.4.1", ChangeLevel.patch),
        ("1.4.0", "1.5.0", .minor),
        ("1.4.0", "2.0.0", .major),
        ("1.4.7", "1.5.0", .minor),
        ("1.4.0", "1.4.1-beta.1", .patch),
        ("1.4.0", "2.0.0-rc.1", .major),
        ("1.4.0", "1.5.0-rc.1+build.9", .minor),
        ("0.3.0", "0.3.1", .minor),
        ("0.3.4", "0.4.0", .major),
        ("0.9.0", "1.0.0", .major),
    ])
    func versionsGrantTheirLevel(previous: String, candidate: String, level: ChangeLevel) throws {
        #expect(try v(candidate).allowedChange(since: v(previous)) == level)
    }

    @Test(arguments: [("1.4.0", "1.4.0"), ("1.4.0", "1.3.9"), ("1.4.0", "1.4.0-rc.1"), ("2.0.0", "1.9.9")])
    func aVersionThatDoesNotComeAfterGrantsNothing(previous: String, candidate: String) throws {
        #expect(try v(candidate).allowedChange(since: v(previous)) == nil)
    }

    @Test func baselineIsTheHighestEarlierReleaseSkippingPrereleases() throws {
        let existing = try ["1.3.0", "1.4.0", "1.4.1", "1.5.0-rc.1", "2.0.0-rc.1", "2.0.0-rc.2", "3.0.0"].map(v)
        #expect(try v("1.4.2").baseline(among: existing) == v("1.4.1"))
        #expect(try v("1.5.0").baseline(among: existing) == v("1.4.1"))
        #expect(try v("2.0.0").baseline(among: existing) == v("1.4.1"))
        #expect(try v("2.0.0-rc.3").baseline(among: existing) == v("1.4.1"))
        #expect(try v("3.1.0").baseline(among: existing) == v("3.0.0"))
        #expect(try v("1.0.0").baseline(among: existing) == nil)
    }

    @Test func levelsAreOrderedAndNamed() {
        #expect(ChangeLevel.none < .patch && ChangeLevel.patch < .minor && ChangeLevel.minor < .major)
        #expect(ChangeLevel(name: "minor") == .minor)
        #expect(ChangeLevel(name: "huge") == nil)
        #expect(ChangeLevel.major.description == "MAJOR")
    }
}

@Suite struct IOChangeTests {
    private let base = IOSignature(
        inputs: [TensorSpec(name: "x", dataType: .float32, shape: [.symbolic("batch"), .fixed(4)])],
        outputs: [TensorSpec(name: "y", dataType: .float32, shape: [.symbolic("batch"), .fixed(3)])]
    )

    private func changes(inputs: [TensorSpec]? = nil, outputs: [TensorSpec]? = nil) -> [IOChange] {
        base.changes(to: IOSignature(inputs: inputs ?? base.inputs, outputs: outputs ?? base.outputs))
    }

    @Test func identicalSignaturesHaveNoChanges() {
        #expect(changes().isEmpty)
        // Renaming a symbolic dim is not a change.
        #expect(changes(inputs: [TensorSpec(name: "x", dataType: .float32, shape: [.symbolic("N"), .fixed(4)])]).isEmpty)
    }

    @Test func breakingChanges() {
        let cases: [([TensorSpec]?, [TensorSpec]?, IOChange.Kind, String)] = [
            ([TensorSpec(name: "features", dataType: .float32, shape: [.symbolic("batch"), .fixed(4)])], nil, .inputRemoved, "input 'x' was removed or renamed"),
            ([TensorSpec(name: "x", dataType: .float64, shape: [.symbolic("batch"), .fixed(4)])], nil, .dtypeChanged, "float32 -> float64"),
            ([TensorSpec(name: "x", dataType: .float32, shape: [.symbolic("batch"), .fixed(5)])], nil, .dimChanged, "dim 1: 4 -> 5"),
            ([TensorSpec(name: "x", dataType: .float32, shape: [.fixed(1), .fixed(4)])], nil, .dimFixed, "dim 0: batch -> 1"),
            ([TensorSpec(name: "x", dataType: .float32, shape: [.fixed(4)])], nil, .rankChanged, "rank changed"),
            (base.inputs + [TensorSpec(name: "mask", dataType: .bool, shape: nil)], nil, .inputAdded, "input 'mask' bool [*] was added"),
            (nil, [], .outputRemoved, "output 'y' was removed"),
            (nil, [TensorSpec(name: "y", dataType: .int64, shape: [.symbolic("batch"), .fixed(3)])], .dtypeChanged, "output 'y' dtype changed"),
        ]
        for (inputs, outputs, kind, text) in cases {
            let found = changes(inputs: inputs, outputs: outputs)
            #expect(found.contains { $0.kind == kind && $0.isBreaking && $0.level == .major && $0.detail.contains(text) }, "\(kind): \(found)")
        }
    }

    @Test func compatibleChanges() {
        let cases: [([TensorSpec]?, [TensorSpec]?, IOChange.Kind, String)] = [
            (nil, base.outputs + [TensorSpec(name: "embedding", dataType: .float32, shape: [.symbolic("batch"), .fixed(16)])], .outputAdded, "output 'embedding'"),
            ([TensorSpec(name: "x", dataType: .float32, shape: [.symbolic("batch"), .unknown])], nil, .dimRelaxed, "relaxed to dynamic"),
            (nil, [TensorSpec(name: "y", dataType: .float32, shape: [.fixed(8), .fixed(3)])], .dimFixed, "dynamic made fixed"),
        ]
        for (inputs, outputs, kind, text) in cases {
            let found = changes(inputs: inputs, outputs: outputs)
            #expect(found.count == 1 && found[0].kind == kind && !found[0].isBreaking && found[0].level == .minor && found[0].detail.contains(text), "\(kind): \(found)")
        }
    }

    @Test func anOptionalNewInputIsCompatible() {
        let new = IOSignature(inputs: base.inputs + [TensorSpec(name: "temperature", dataType: .float32, shape: [])], outputs: base.outputs)
        let found = base.changes(to: new, optionalInputs: ["temperature"])
        #expect(found.count == 1 && !found[0].isBreaking)
    }
}

@Suite struct ModelReferenceTests {
    @Test func parsesTheThreeForms() throws {
        #expect(try ModelReference(parsing: "fraud").selector == .latest)
        #expect(try ModelReference(parsing: "team.fraud-v2@1.4.0").version == SemanticVersion(parsing: "1.4.0"))
        #expect(try ModelReference(parsing: "fraud:production").selector == .alias("production"))
        #expect(try ModelReference(parsing: "team.fraud:canary-eu").description == "team.fraud:canary-eu")
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("-fraud", "must start with a letter or digit"),
        ("team/fraud", "it contains '/'"),
        ("fraud detector", "it contains ' '"),
        ("fraud@1.4", "exactly three numbers"),
        ("fraud:Production", "not a valid alias"),
        ("fraud:", "not a valid alias"),
    ])
    func rejectsBadReferences(text: String, why: String) {
        #expect {
            try ModelReference(parsing: text)
        } throws: { error in
            guard let error = error as? WardenError else { return false }
            return error.message.contains(why)
        }
    }
}
