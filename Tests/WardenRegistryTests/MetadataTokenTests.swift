import Foundation
import Testing
import WardenCore
import WardenRegistry

@Suite(.metadataCleanup) struct MetadataTokenTests {
    @Test(arguments: StoreKind.available)
    func createLookUpAndRevoke(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let ci = try await store.createToken(name: "ci", role: .publisher, secretHash: sha("secret-1"), actor: "admin")
        let deployer = try await store.createToken(name: "deploy-bot", role: .deployer, secretHash: sha("secret-2"), actor: "admin")
        #expect(ci.id != deployer.id)
        #expect(ci.role == .publisher && ci.createdBy == "admin" && !ci.isRevoked)

        #expect(try await store.token(secretHash: sha("secret-1")) == ci)
        #expect(try await store.token(secretHash: sha("secret-2")) == deployer)
        #expect(try await store.token(secretHash: sha("wrong")) == nil)
        #expect(try await store.tokens() == [ci, deployer])

        let revoked = try await store.revokeToken(id: ci.id, actor: "security")
        #expect(revoked.isRevoked)
        #expect(revoked.revokedAt.map { $0 >= ci.createdAt } == true)
        // A revoked token is still found, so the server can say it was revoked.
        #expect(try await store.token(secretHash: sha("secret-1")) == revoked)
        #expect(try await store.tokens().map(\.isRevoked) == [true, false])

        // Revoking twice keeps the first revocation and records nothing.
        let again = try await store.revokeToken(id: ci.id, actor: "security")
        #expect(again.revokedAt == revoked.revokedAt)

        let events = try await fixture.allEvents()
        #expect(events.map(\.kind) == [.tokenCreated, .tokenCreated, .tokenRevoked])
        #expect(events.allSatisfy { $0.model == nil && $0.version == nil && $0.alias == nil })
        #expect(events.map(\.actor) == ["admin", "admin", "security"])
        let created = try detail(events[0])
        #expect(created["name"] as? String == "ci" && created["role"] as? String == "publisher")
        #expect((created["id"] as? NSNumber)?.int64Value == ci.id)
        // The log never holds the secret's hash.
        #expect(events.allSatisfy { !$0.detailJSON.contains(sha("secret-1").hex) })
    }

    @Test(arguments: StoreKind.available, Role.allCases)
    func everyRoleRoundTrips(_ kind: StoreKind, role: Role) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        let token = try await store.createToken(name: "t", role: role, secretHash: sha("\(role)"), actor: "admin")
        #expect(try await store.token(secretHash: sha("\(role)"))?.role == role)
        #expect(token.role == role)
    }

    @Test(arguments: StoreKind.available)
    func aSecretIsUsedOnce(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        _ = try await store.createToken(name: "a", role: .reader, secretHash: sha("same"), actor: "admin")
        await expectAsyncWardenError(.conflict, containing: ["already exists", "new secret for 'b'"]) {
            _ = try await store.createToken(name: "b", role: .admin, secretHash: sha("same"), actor: "admin")
        }
        #expect(try await store.tokens().count == 1)
        #expect(try await fixture.kinds() == [.tokenCreated])
    }

    @Test(arguments: StoreKind.available)
    func revokingAnUnknownTokenIsNotFound(_ kind: StoreKind) async throws {
        let fixture = try await MetadataFixture(kind)
        let store = fixture.store
        await expectAsyncWardenError(.notFound, containing: "no token has id 42") {
            _ = try await store.revokeToken(id: 42, actor: "admin")
        }
        #expect(try await fixture.kinds().isEmpty)
    }
}
