import Testing

@testable import CollabCore

/// Group and principal authorization (issue 12): what each entry form grants, and that the
/// response form is the one given.
@Suite struct AccessIndexTests {
    static func user(_ name: String, idp: String = "test", groups: [String] = []) -> UserIdentity {
        UserIdentity(id: "id-\(name)", email: "\(name)@test.tmi", idp: idp, groups: groups)
    }

    static func group(_ name: String, provider: String = "test", _ role: Role) -> Authorization {
        Authorization(principal: Principal(kind: .group, provider: provider, providerID: name), role: role)
    }

    static let everyone = group("everyone", provider: "*", .writer)

    @Test func everyoneGrantsEveryAuthenticatedUser() {
        let index = AccessIndex(owner: "owner@test.tmi", authorization: [Self.everyone])
        #expect(index.role(of: Self.user("a")) == .writer)
        #expect(index.role(of: Self.user("b", idp: "google")) == .writer)
        #expect(index.role(of: Self.user("c", idp: "")) == .writer)
        #expect(index.role(of: Self.user("owner")) == .owner)
        // `everyone` is built in only with provider `*`: a provider's group of that name is a group.
        let scoped = AccessIndex(
            owner: "o", authorization: [Self.group("everyone", provider: "test", .reader)])
        #expect(scoped.role(of: Self.user("a")) == nil)
        #expect(scoped.role(of: Self.user("a", groups: ["everyone"])) == .reader)
    }

    @Test func aGroupGrantsItsMembersOfThatProvider() {
        let index = AccessIndex(
            owner: "o",
            authorization: [Self.group("red", .writer), Self.group("blue", provider: "*", .reader)])
        #expect(index.role(of: Self.user("a", groups: ["red"])) == .writer)
        #expect(index.role(of: Self.user("a", groups: ["green"])) == nil)
        #expect(index.role(of: Self.user("a")) == nil)
        // Same group name from another provider is another group...
        #expect(index.role(of: Self.user("a", idp: "google", groups: ["red"])) == nil)
        // ...unless the entry's provider is `*`.
        #expect(index.role(of: Self.user("a", idp: "google", groups: ["blue"])) == .reader)
        // The highest of several matches applies.
        #expect(index.role(of: Self.user("a", groups: ["blue", "red"])) == .writer)
    }

    @Test func userPrincipalsMatchEmailOrIdWithinTheirProvider() {
        let byEmail = Authorization(
            principal: Principal(kind: .user, provider: "test", providerID: "Alice@Test.TMI"), role: .writer)
        let byID = Authorization(
            principal: Principal(kind: .user, provider: "*", providerID: "id-bob"), role: .reader)
        let index = AccessIndex(owner: "o", authorization: [byEmail, byID])
        #expect(index.role(of: Self.user("alice")) == .writer)
        #expect(index.role(of: Self.user("alice", idp: "github")) == nil)
        #expect(index.role(of: Self.user("bob", idp: "github")) == .reader)
        #expect(index.role(of: Self.user("carol")) == nil)
    }

    @Test func subjectsStillMatchAsBefore() {
        let list = [
            Authorization(subject: "ALICE@test.tmi", role: .reader),
            Authorization(subject: "id-bob", role: .writer),
        ]
        let index = AccessIndex(owner: "o", authorization: list)
        #expect(index.role(of: Self.user("alice")) == .reader)
        #expect(index.role(of: Self.user("bob")) == .writer)
        #expect(index.role(of: UserIdentity(id: "ID-BOB", email: "x@y")) == nil)
        #expect(AccessRules.effectiveRole(of: Self.user("alice"), owner: "o", authorization: list) == .reader)
    }

    /// A long list costs nothing per check: the index answers from hash maps.
    @Test func tenThousandEntries() {
        var list = (0..<9_999).map { Authorization(subject: "u\($0)@test.tmi", role: .reader) }
        list.append(Self.group("ops", .writer))
        let index = AccessIndex(owner: "o", authorization: list)
        #expect(index.role(of: Self.user("u9998")) == .reader)
        #expect(index.role(of: Self.user("u9998", groups: ["ops"])) == .writer)
        #expect(index.role(of: Self.user("nobody")) == nil)
    }

    @Test func thePrincipalFormParsesAndEchoes() throws {
        let json: JSONValue = [
            "principal_type": "group", "provider": "*", "provider_id": "everyone", "role": "writer",
            "display_name": "Everyone",
        ]
        let entry = try Authorization.parse(json)
        #expect(entry.principal?.isEveryone == true && entry.role == .writer)
        #expect(entry.json == json)
        let legacy: JSONValue = ["subject": "a@b", "role": "reader"]
        #expect(try Authorization.parse(legacy).json == legacy)
    }

    @Test(
        arguments: [
            (
                ["principal_type": "team", "provider": "x", "provider_id": "y", "role": "reader"],
                "/principal_type"
            ),
            (["principal_type": "user", "provider_id": "y", "role": "reader"], "/provider"),
            (["principal_type": "user", "provider": "x", "role": "reader"], "/provider_id"),
            (
                ["principal_type": "user", "provider": "x", "provider_id": "", "role": "reader"],
                "/provider_id"
            ),
            (["principal_type": "user", "provider": "x", "provider_id": "y"], "/role"),
            (
                ["principal_type": "user", "provider": "x", "provider_id": "<y>", "role": "reader"],
                "/provider_id"
            ),
            (
                [
                    "principal_type": "user", "provider": "x", "provider_id": "y", "role": "reader",
                    "subject": "z",
                ],
                "/subject"
            ),
        ] as [(JSONValue, String)])
    func badPrincipalsAreRefused(_ json: JSONValue, _ pointer: String) {
        #expect(throws: ValidationError.self) { try Authorization.parse(json) }
        do {
            _ = try Authorization.parse(json)
        } catch {
            #expect(error.field == pointer)
        }
    }

    @Test func listsAreCappedAndDuplicatesRefusedPerForm() throws {
        let entries = (0...AuthorizationList.maxEntries).map {
            JSONValue.object(["subject": .string("u\($0)@x"), "role": "reader"])
        }
        #expect(AuthorizationList.maxEntries == 10_000)
        #expect(throws: ValidationError.self) { try AuthorizationList.parse(.array(entries)) }
        #expect(try AuthorizationList.parse(.array(Array(entries.dropLast()))).count == 10_000)

        let g: JSONValue = [
            "principal_type": "group", "provider": "test", "provider_id": "red", "role": "reader",
        ]
        let sameSubject: JSONValue = ["subject": "red", "role": "writer"]
        #expect(try AuthorizationList.parse([g, sameSubject]).count == 2)
        #expect(throws: ValidationError.self) { try AuthorizationList.parse([g, g]) }
    }
}
