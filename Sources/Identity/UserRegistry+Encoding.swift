import CollabCore
import FoundationEssentials
import WireProtocol

extension UserRegistry {
    /// The snapshot `users.json`: `{"users": [...]}`, every user oldest first.
    struct Snapshot: Codable {
        var users: [UserRecord]
    }

    /// Reads `users.json`: a `Snapshot`, or the bare array of users written before the journal.
    static func decodeSnapshot(_ bytes: [UInt8]) throws -> UserRegistry {
        let decoder = JSONDecoder()
        if isJSONArray(bytes) {
            return UserRegistry(users: try decoder.decode([UserRecord].self, from: Data(bytes)))
        }
        return UserRegistry(users: try decoder.decode(Snapshot.self, from: Data(bytes)).users)
    }

    /// The snapshot as `Snapshot`'s `Codable` conformance reads it back (keys in sorted order, as
    /// `JSONEncoder` with `.sortedKeys` writes them), written straight into bytes: `JSONEncoder`
    /// made it O(users) of boxed encoding (17 ms with 2,000 users). Written only when the
    /// journal has grown as large as it (`JournaledFile`). `UserRegistryEncodingTests` holds the
    /// output equal, as JSON, to `JSONEncoder`'s, so a field added to `UserRecord` but not here
    /// fails the test.
    func encoded() -> [UInt8] {
        let all = self.all
        var out: [UInt8] = []
        out.reserveCapacity(16 + all.count * 200)
        out.append(contentsOf: #"{"users":["#.utf8)
        for (i, user) in all.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"createdAt":"#.utf8)
            out.appendDecimal(Int(user.createdAt))
            out.append(contentsOf: #","email":"#.utf8)
            JSONValue.writeString(user.email, to: &out)
            out.append(contentsOf: #","id":"#.utf8)
            JSONValue.writeString(user.id, to: &out)
            out.append(contentsOf: #","identities":["#.utf8)
            for (j, identity) in user.identities.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: #"{"provider":"#.utf8)
                JSONValue.writeString(identity.provider, to: &out)
                out.append(contentsOf: #","subject":"#.utf8)
                JSONValue.writeString(identity.subject, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(contentsOf: #"],"name":"#.utf8)
            JSONValue.writeString(user.name, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }
}
