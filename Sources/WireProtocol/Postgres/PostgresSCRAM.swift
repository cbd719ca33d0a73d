import FoundationEssentials

/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it: no channel
/// binding (`n,,`), an empty user name in the message (the server takes the startup user), and
/// the server's signature verified at the end, so a server that does not know the password
/// cannot pretend to have accepted it.
struct PostgresSCRAM {
    static let mechanism = "SCRAM-SHA-256"
    /// The server picks the iteration count; refuse one that would make the client burn CPU
    /// for seconds (PostgreSQL's default is 4096).
    static let maxIterations = 1_000_000

    private let password: [UInt8]
    private let clientNonce: String
    private var clientFirstBare: String
    private var expectedServerSignature: [UInt8]?

    /// `user` stays empty for PostgreSQL (it uses the startup user); tests pass RFC 7677's.
    init(password: String, nonce: String? = nil, user: String = "") throws(PostgresError) {
        // SASLprep is not applied: ASCII passwords (and most others) are unchanged by it, and
        // the server also falls back to the raw bytes when normalization fails.
        self.password = Array(password.utf8)
        if let nonce {
            self.clientNonce = nonce
        } else {
            do {
                self.clientNonce = Data(try CryptoPrimitives.randomBytes(18)).base64EncodedString()
            } catch {
                throw .authentication("SCRAM nonce: \(error)")
            }
        }
        self.clientFirstBare = "n=" + user + ",r=" + clientNonce
    }

    /// SASLInitialResponse data.
    var clientFirstMessage: [UInt8] { Array(("n,," + clientFirstBare).utf8) }

    /// Answers the server-first message with the client-final message (with proof).
    mutating func clientFinalMessage(serverFirst: [UInt8]) throws(PostgresError) -> [UInt8] {
        let serverFirstText = String(decoding: serverFirst, as: UTF8.self)
        let attributes = Self.attributes(serverFirstText)
        guard let nonce = attributes["r"], let saltText = attributes["s"], let iterationText = attributes["i"]
        else { throw .authentication("malformed SCRAM server-first message") }
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw .authentication("SCRAM server nonce does not extend the client nonce")
        }
        guard let salt = Data(base64Encoded: saltText), !salt.isEmpty else {
            throw .authentication("SCRAM salt is not base64")
        }
        guard let iterations = Int(iterationText), iterations >= 1, iterations <= Self.maxIterations else {
            throw .authentication("SCRAM iteration count out of range")
        }
        let withoutProof = "c=biws,r=" + nonce
        let authMessage = Array((clientFirstBare + "," + serverFirstText + "," + withoutProof).utf8)
        let proof: [UInt8]
        do {
            let salted = try CryptoPrimitives.pbkdf2SHA256(
                password: password, salt: Array(salt), iterations: iterations)
            let clientKey = try CryptoPrimitives.hmacSHA256(key: salted, message: Array("Client Key".utf8))
            let storedKey = try CryptoPrimitives.sha256(clientKey)
            let clientSignature = try CryptoPrimitives.hmacSHA256(key: storedKey, message: authMessage)
            proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
            let serverKey = try CryptoPrimitives.hmacSHA256(key: salted, message: Array("Server Key".utf8))
            expectedServerSignature = try CryptoPrimitives.hmacSHA256(key: serverKey, message: authMessage)
        } catch {
            throw .authentication("SCRAM: \(error)")
        }
        return Array((withoutProof + ",p=" + Data(proof).base64EncodedString()).utf8)
    }

    /// Checks the server-final message's signature.
    func verify(serverFinal: [UInt8]) throws(PostgresError) {
        let attributes = Self.attributes(String(decoding: serverFinal, as: UTF8.self))
        if let error = attributes["e"] { throw .authentication("server rejected SCRAM proof (\(error))") }
        guard let expected = expectedServerSignature, let text = attributes["v"],
            let signature = Data(base64Encoded: text), Array(signature) == expected
        else { throw .authentication("the server's SCRAM signature does not verify") }
    }

    /// `k=v` attributes separated by commas (a value may itself contain '=').
    static func attributes(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in text.split(separator: ",") {
            guard let eq = part.firstIndex(of: "="), part.distance(from: part.startIndex, to: eq) == 1 else {
                continue
            }
            out[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        return out
    }
}
