import WireProtocol

extension CryptoPrimitives {
    /// A random, URL-safe token carrying `byteCount * 8` bits of entropy.
    static func randomToken(byteCount: Int = 32) throws(CryptoError) -> String {
        Base64URL.encode(try randomBytes(byteCount))
    }
}
