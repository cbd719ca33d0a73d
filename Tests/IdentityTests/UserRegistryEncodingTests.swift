import CollabCore
import FoundationEssentials
import Testing

@testable import Identity

/// `UserRegistry.encoded()` writes the `users.json` snapshot by hand; these hold it to the `Codable`
/// definition: the same JSON document as `JSONEncoder` with sorted keys writes (so a field added
/// to `UserRecord` but not to the encoder fails here), and it decodes back to the same users.
@Suite struct UserRegistryEncodingTests {
    @Test func theUsersReadBackAndAreTheSameJSONAsJSONEncoders() throws {
        var random = SeededRandom(seed: 15)
        // With a slash, which JSONEncoder escapes and JSON does not require escaping.
        let texts = TokenLedgerEncodingTests.texts + ["https://idp.example/sub/1"]
        func text() -> String { texts.randomElement(using: &random)! + String(random.below(1000)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for round in 0..<200 {
            var users: [UserRecord] = []
            for i in 0..<random.below(6) {
                let identities = (0..<random.below(3)).map { _ in
                    LinkedIdentity(provider: text(), subject: text())
                }
                users.append(
                    UserRecord(
                        id: "\(round)-\(i)-" + text(), email: text(), name: text(), identities: identities,
                        createdAt: Int64(random.below(1_000_000)) - 10))
            }
            let registry = UserRegistry(users: users)
            let bytes = registry.encoded()
            let reference = Array(try encoder.encode(UserRegistry.Snapshot(users: registry.all)))
            #expect(try JSONValue.parse(bytes) == JSONValue.parse(reference))
            #expect(try UserRegistry.decodeSnapshot(bytes).all == registry.all)
        }
    }
}
