import CollabCore
import WireProtocol

extension TokenLedger {
    /// The ledger as `tokens.json`: the JSON its `Codable` conformance reads back, written
    /// straight into bytes.
    ///
    /// Written whenever the journal has grown as large as the snapshot (`JournaledFile`); it
    /// used to be on every login and refresh. `JSONEncoder` (sorted keys, a boxed value per
    /// field) spent ~50 ms of CPU per write on a ledger of 3,000 sessions (1.2 MB), which capped
    /// logins near 20 per second. Keys are not sorted here: nothing depends on their order, and
    /// `TokenLedgerEncodingTests` holds this output equal, as JSON, to `JSONEncoder`'s, so a field
    /// added to the ledger and not here fails the test instead of being silently dropped.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(
            64 + refreshTokens.count * 192 + families.count * 160 + revokedAccessTokens.count * 64)
        out.append(contentsOf: #"{"families":{"#.utf8)
        var first = true
        for (key, family) in families {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(key, to: &out)
            out.append(contentsOf: #":{"accessTokens":"#.utf8)
            Self.write(family.accessTokens, to: &out)
            if let groups = family.groups {
                out.append(contentsOf: #","groups":["#.utf8)
                for (i, group) in groups.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    JSONValue.writeString(group, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
            if let idp = family.idp {
                out.append(contentsOf: #","idp":"#.utf8)
                JSONValue.writeString(idp, to: &out)
            }
            out.append(contentsOf: #","userID":"#.utf8)
            JSONValue.writeString(family.userID, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"},"refreshTokens":{"#.utf8)
        first = true
        for (hash, record) in refreshTokens {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(hash, to: &out)
            out.append(contentsOf: #":{"expiresAt":"#.utf8)
            out.appendDecimal(Int(record.expiresAt))
            out.append(contentsOf: #","family":"#.utf8)
            JSONValue.writeString(record.family, to: &out)
            out.append(contentsOf: record.spent ? #","spent":true"#.utf8 : #","spent":false"#.utf8)
            out.append(contentsOf: #","userID":"#.utf8)
            JSONValue.writeString(record.userID, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"},"revokedAccessTokens":"#.utf8)
        Self.write(revokedAccessTokens, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `{"key":seconds,...}`.
    private static func write(_ map: [String: Int64], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in map {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            out.appendDecimal(Int(value))
        }
        out.append(UInt8(ascii: "}"))
    }
}
