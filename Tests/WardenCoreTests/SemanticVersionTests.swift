import Testing
import WardenCore

@Suite struct SemanticVersionTests {
    @Test(arguments: ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
                      "1.0.0-x-y-z.--", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0+21AF26D3----117B344092BD",
                      "18446744073709551615.0.0"])
    func parsesAndPrintsValidVersions(text: String) throws {
        #expect(try SemanticVersion(parsing: text).description == text)
    }

    @Test(arguments: [
        ("1.2", "exactly three numbers", "§2"),
        ("1.2.3.4", "exactly three numbers", "§2"),
        ("01.2.3", "MAJOR '01' has a leading zero", "§2"),
        ("1.02.3", "MINOR '02' has a leading zero", "§2"),
        ("1.2.x", "PATCH 'x' must be a non-negative integer", "§2"),
        ("1.-2.3", "exactly three numbers", "§2"),
        ("1..3", "MINOR '' must be a non-negative integer", "§2"),
        ("v1.2.3", "remove the leading 'v'", "§2"),
        ("18446744073709551616.0.0", "MAJOR '18446744073709551616' is too large", "§2"),
        ("1.2.3-", "empty identifier", "§9"),
        ("1.2.3-alpha..1", "empty identifier", "§9"),
        ("1.2.3-01", "leading zero", "§9"),
        ("1.2.3-al_pha", "only ASCII letters, digits and '-'", "§9"),
        ("1.2.3+", "empty identifier", "§10"),
        ("1.2.3+a..b", "empty identifier", "§10"),
        ("1.2.3+ü", "only ASCII letters, digits and '-'", "§10"),
        ("", "exactly three numbers", "§2"),
    ])
    func rejectsInvalidVersionsCitingTheRule(text: String, why: String, rule: String) {
        #expect {
            try SemanticVersion(parsing: text)
        } throws: { error in
            guard let error = error as? WardenError else { return false }
            return error.code == .invalidVersion && error.message.contains(why) && error.message.contains("SemVer 2.0.0 \(rule)")
        }
    }

    /// The ordering example from semver.org §11.
    @Test func precedenceFollowsTheSpecExample() throws {
        let ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                       "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"]
        let versions = try ordered.map { try SemanticVersion(parsing: $0) }
        #expect(versions.shuffled().sorted() == versions)
        for (lower, higher) in zip(versions, versions.dropFirst()) {
            #expect(lower < higher)
            #expect(!(higher < lower))
        }
    }

    @Test func buildMetadataTakesNoPartInPrecedence() throws {
        let a = try SemanticVersion(parsing: "1.0.0+a")
        let b = try SemanticVersion(parsing: "1.0.0+b")
        #expect(a == b)
        #expect(!(a < b) && !(b < a))
        #expect(a.hashValue == b.hashValue)
        #expect(!a.isIdentical(to: b))
        #expect(a.isIdentical(to: try SemanticVersion(parsing: "1.0.0+a")))
    }

    @Test func releaseLine() throws {
        let candidate = try SemanticVersion(parsing: "1.5.0-rc.2+ci.9")
        #expect(candidate.isPrerelease)
        #expect(candidate.release.description == "1.5.0")
        #expect(candidate < candidate.release)
        #expect(SemanticVersion("nope") == nil)
    }
}
