/// PostgreSQL's legacy `md5` password exchange; SCRAM is in `PostgresSCRAM`. Both take their
/// digests from `CryptoPrimitives`.
enum PostgresCrypto {
    /// The md5 method's answer: "md5" + md5hex(md5hex(password + user) + salt).
    static func md5Password(user: String, password: String, salt: [UInt8]) throws(PostgresError) -> String {
        do {
            let inner = CryptoPrimitives.hex(
                try CryptoPrimitives.md5(Array(password.utf8) + Array(user.utf8)))
            return "md5" + CryptoPrimitives.hex(try CryptoPrimitives.md5(Array(inner.utf8) + salt))
        } catch {
            throw .authentication("md5 password: \(error)")
        }
    }
}
