import WireProtocol

/// The built-in `test` login provider (DESIGN §5): no outside service, a user per login hint.
enum TestProvider {
    static let id = "test"
    static let emailDomain = "test.tmi"

    /// The spec's `login_hint` pattern: `^[a-zA-Z0-9-]{3,20}$`.
    static func isValidHint(_ hint: String) -> Bool {
        let bytes = Array(hint.utf8)
        return (3...20).contains(bytes.count)
            && bytes.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
            }
    }

    /// The hint to log in with: the client's, lowercased so `Alice` and `alice` are one person,
    /// or a fresh random one when it sent none or an invalid one.
    static func resolveHint(_ hint: String?) throws(CryptoError) -> String {
        if let hint, isValidHint(hint) { return hint.lowercased() }
        return "user-" + CryptoPrimitives.hex(try CryptoPrimitives.randomBytes(5))
    }

    /// At most this many groups per test login, each at most `maxGroupLength` bytes: the list
    /// travels in every access token, so it stays small.
    static let maxGroups = 64
    static let maxGroupLength = 128

    /// The `groups` parameter of a test login (`groups=a,b`): comma-separated names, trimmed,
    /// empty names dropped, duplicates kept once in first-seen order. Too many, too long or
    /// control characters are a 400: the parameter is the caller's, so the caller hears why.
    static func parseGroups(_ text: String?) throws(IdentityError) -> [String] {
        guard let text else { return [] }
        var groups: [String] = []
        for raw in text.split(separator: ",") {
            let name = String(raw).trimmingSpaces()
            if name.isEmpty || groups.contains(name) { continue }
            guard name.utf8.count <= maxGroupLength,
                name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else {
                throw .badRequest(
                    "Each of 'groups' must be 1-\(maxGroupLength) printable characters",
                    code: "invalid_request")
            }
            groups.append(name)
            guard groups.count <= maxGroups else {
                throw .badRequest("'groups' names more than \(maxGroups) groups", code: "invalid_request")
            }
        }
        return groups
    }

    /// `alice` -> subject `alice`, `alice@test.tmi`, "Alice (Test User)".
    static func identity(hint: String) -> (identity: LinkedIdentity, email: String, name: String) {
        let display = hint.prefix(1).uppercased() + hint.dropFirst()
        return (
            LinkedIdentity(provider: id, subject: hint), "\(hint)@\(emailDomain)", "\(display) (Test User)"
        )
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
