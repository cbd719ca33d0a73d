import CollabCore
import WireProtocol

extension UserRegistry {
    /// `users.json`: every user, oldest first, as the JSON `[UserRecord]`'s `Codable` conformance
    /// reads back (keys in sorted order, as `JSONEncoder` with `.sortedKeys` wrote it), written
    /// straight into bytes.
    ///
    /// The file is rewritten whenever a user is new or changes name or email; `JSONEncoder` made
    /// a first login cost O(users) of boxed encoding (17 ms with 2,000 users). It is still one
    /// write of every user; `UserRegistryEncodingTests` holds the output equal, as JSON, to
    /// `JSONEncoder`'s, so a field added to `UserRecord` but not here fails the test.
    func encoded() -> [UInt8] {
        let all = self.all
        var out: [UInt8] = []
        out.reserveCapacity(2 + all.count * 200)
        out.append(UInt8(ascii: "["))
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
        out.append(UInt8(ascii: "]"))
        return out
    }
}
