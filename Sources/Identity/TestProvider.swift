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

    /// `alice` -> subject `alice`, `alice@test.tmi`, "Alice (Test User)".
    static func identity(hint: String) -> (identity: LinkedIdentity, email: String, name: String) {
        let display = hint.prefix(1).uppercased() + hint.dropFirst()
        return (
            LinkedIdentity(provider: id, subject: hint), "\(hint)@\(emailDomain)", "\(display) (Test User)"
        )
    }
}
