import Testing

@testable import CollabCore

private let alice = UserIdentity(id: "u-alice", email: "alice@test.tmi")

private func acl(_ entries: (String, Role)...) -> [Authorization] {
    entries.map { Authorization(subject: $0.0, role: $0.1) }
}

@Suite struct AccessRulesTests {
    static let roleCases: [(String, String, [Authorization], Role?)] = [
        ("owner field by email", "alice@test.tmi", [], .owner),
        ("owner field by id", "u-alice", [], .owner),
        ("owner field ignores email case", "Alice@Test.TMI", [], .owner),
        ("owner field wins over a lower entry", "alice@test.tmi", acl(("alice@test.tmi", .reader)), .owner),
        ("no entry", "bob@test.tmi", [], nil),
        ("someone else's entry", "bob@test.tmi", acl(("carol@test.tmi", .owner)), nil),
        ("reader entry", "bob@test.tmi", acl(("alice@test.tmi", .reader)), .reader),
        ("writer entry by id", "bob@test.tmi", acl(("u-alice", .writer)), .writer),
        ("owner entry", "bob@test.tmi", acl(("alice@test.tmi", .owner)), .owner),
        (
            "highest of several", "bob@test.tmi", acl(("alice@test.tmi", .reader), ("u-alice", .writer)),
            .writer
        ),
        (
            "highest regardless of order", "bob@test.tmi",
            acl(("u-alice", .owner), ("alice@test.tmi", .reader)), .owner
        ),
        ("id match is exact", "bob@test.tmi", acl(("U-ALICE", .writer)), nil),
        ("prefix is no match", "bob@test.tmi", acl(("alice@test", .writer)), nil),
    ]

    @Test(arguments: roleCases)
    func effectiveRole(label: String, owner: String, authorization: [Authorization], expected: Role?) {
        #expect(
            AccessRules.effectiveRole(of: alice, owner: owner, authorization: authorization) == expected,
            "\(label)")
    }

    @Test func emptyEmailMatchesNothingByEmail() {
        let anon = UserIdentity(id: "u1", email: "")
        #expect(AccessRules.effectiveRole(of: anon, owner: "", authorization: acl(("", .owner))) == nil)
    }

    /// role × capability → allowed (DESIGN §5).
    static let capabilityMatrix: [(Role?, Capability, Bool)] = [
        (nil, .read, false), (nil, .write, false), (nil, .deleteModel, false), (nil, .deleteDiagram, false),
        (nil, .manageAccess, false),
        (.reader, .read, true), (.reader, .write, false), (.reader, .deleteModel, false),
        (.reader, .deleteDiagram, false), (.reader, .manageAccess, false),
        (.writer, .read, true), (.writer, .write, true), (.writer, .deleteModel, false),
        (.writer, .deleteDiagram, false), (.writer, .manageAccess, false),
        (.owner, .read, true), (.owner, .write, true), (.owner, .deleteModel, true),
        (.owner, .deleteDiagram, true),
        (.owner, .manageAccess, true),
    ]

    @Test(arguments: capabilityMatrix)
    func capability(role: Role?, capability: Capability, allowed: Bool) {
        #expect(AccessRules.allows(role, capability) == allowed)
    }

    @Test func rolesAreOrdered() {
        #expect(Role.reader < .writer && Role.writer < .owner)
        #expect([Role.owner, .reader, .writer].max() == .owner)
    }

    @Test func duplicateSubjectsAreRejected() {
        #expect(AuthorizationList.firstDuplicate(acl(("a@x", .reader), ("b@x", .writer))) == nil)
        let dup = AuthorizationList.firstDuplicate(acl(("a@x", .reader), ("b@x", .writer), ("A@x", .owner)))
        #expect(dup?.field == "/authorization/2/subject")
        #expect(dup?.code == .duplicate)
        #expect(throws: ValidationError.self) {
            try AuthorizationList.parse([
                ["subject": "a", "role": "reader"], ["subject": "a", "role": "owner"],
            ])
        }
    }

    @Test func ownershipTransferKeepsThePreviousOwnerAsOwner() {
        let before = acl(("alice@test.tmi", .reader), ("bob@test.tmi", .writer))
        let after = AuthorizationList.transferOwnership(
            from: "alice@test.tmi", to: "bob@test.tmi", in: before)
        #expect(after == acl(("alice@test.tmi", .owner), ("bob@test.tmi", .owner)))
        let appended = AuthorizationList.transferOwnership(
            from: "alice@test.tmi", to: "carol@test.tmi", in: [])
        #expect(appended == acl(("alice@test.tmi", .owner), ("carol@test.tmi", .owner)))
        #expect(AuthorizationList.firstDuplicate(appended) == nil)
    }

    @Test func transferThroughAReplaceKeepsThePreviousOwnerPowers() throws {
        let model = ThreatModel(
            id: .random(), name: "M", owner: "alice@test.tmi", createdBy: "alice@test.tmi",
            authorization: acl(("alice@test.tmi", .owner)), createdAt: Fixtures.t0, modifiedAt: Fixtures.t0)
        let input = try ThreatModelInput.parse(["name": "M", "owner": "bob@test.tmi"], mode: .replace(model))
        #expect(AccessRules.capabilityNeeded(toApply: input, to: model) == .manageAccess)
        let next = model.replacing(with: input, at: Fixtures.t0)
        #expect(AccessRules.effectiveRole(of: alice, in: next) == .owner)
        let bob = UserIdentity(id: "u-bob", email: "bob@test.tmi")
        #expect(AccessRules.can(bob, .deleteModel, on: next))
    }

    @Test func replacingWithUnchangedAccessNeedsOnlyWrite() throws {
        let model = ThreatModel(
            id: .random(), name: "M", owner: "alice@test.tmi", createdBy: "alice@test.tmi",
            authorization: acl(("alice@test.tmi", .owner), ("bob@x", .writer)), createdAt: Fixtures.t0,
            modifiedAt: Fixtures.t0)
        var body = model.json
        body["name"] = "renamed"
        body["authorization"] = acl(("bob@x", .writer), ("alice@test.tmi", .owner)).json
        let same = try ThreatModelInput.parse(body, mode: .replace(model))
        #expect(AccessRules.capabilityNeeded(toApply: same, to: model) == .write)
        body["authorization"] = acl(("bob@x", .owner), ("alice@test.tmi", .owner)).json
        let changed = try ThreatModelInput.parse(body, mode: .replace(model))
        #expect(AccessRules.capabilityNeeded(toApply: changed, to: model) == .manageAccess)
        let omitted = try ThreatModelInput.parse(["name": "x"], mode: .replace(model))
        #expect(AccessRules.capabilityNeeded(toApply: omitted, to: model) == .write)
    }

    /// The byte-wise comparison behind `matches` answers as `lowercased() ==` does, for ASCII
    /// and for the non-ASCII strings it hands to `lowercased()`.
    @Test func caseInsensitiveEmailComparisonAgreesWithLowercasing() {
        let alphabet: [String] = ["a", "A", "z", "Z", "@", "[", "`", "{", ".", "0", "é", "É", "ß", "İ", "K"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let a = (0..<Int.random(in: 0...5, using: &generator)).map { _ in alphabet.randomElement()! }
                .joined()
            let b =
                Bool.random()
                ? a.map { c in Bool.random() ? c.uppercased() : String(c) }.joined()
                : (0..<Int.random(in: 0...5, using: &generator)).map { _ in alphabet.randomElement()! }
                    .joined()
            #expect(
                UserIdentity.equalIgnoringCase(a, b) == (a.lowercased() == b.lowercased()), "\(a) vs \(b)")
        }
    }
}
