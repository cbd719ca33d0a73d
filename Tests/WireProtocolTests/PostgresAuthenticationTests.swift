import FoundationEssentials
import Testing

@testable import WireProtocol

@Suite struct PostgresAuthenticationTests {
    /// RFC 7677 §3: the SCRAM-SHA-256 example exchange (user "user", password "pencil").
    @Test func scramMatchesRFC7677Example() throws {
        var scram = try PostgresSCRAM(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", user: "user")
        #expect(
            String(decoding: scram.clientFirstMessage, as: UTF8.self) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let serverFirst =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let final = try scram.clientFinalMessage(serverFirst: Array(serverFirst.utf8))
        #expect(
            String(decoding: final, as: UTF8.self)
                == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        )
        try scram.verify(serverFinal: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))
        #expect(throws: PostgresError.self) {
            try scram.verify(serverFinal: Array("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))
        }
        #expect(throws: PostgresError.self) { try scram.verify(serverFinal: Array("e=invalid-proof".utf8)) }
    }

    @Test(arguments: [
        "r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nonce not ours
        "r=abc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nonce not extended
        "r=abcdef,s=***,i=4096",  // salt not base64
        "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999",  // would burn CPU for minutes
        "r=abcdef,s=W22ZaJ0SNY7soEsUEjb6gQ==",
        "",
    ])
    func scramRejectsBadServerFirst(_ serverFirst: String) throws {
        var scram = try PostgresSCRAM(password: "pw", nonce: "abc")
        #expect(throws: PostgresError.self) {
            try scram.clientFinalMessage(serverFirst: Array(serverFirst.utf8))
        }
    }

    @Test func scramFinalWithoutFirstFails() throws {
        let scram = try PostgresSCRAM(password: "pw", nonce: "abc")
        #expect(throws: PostgresError.self) { try scram.verify(serverFinal: Array("v=AAAA".utf8)) }
    }

    /// md5 answer cross-checked with Python's hashlib.
    @Test func md5PasswordAnswer() throws {
        #expect(
            try PostgresCrypto.md5Password(user: "alice", password: "secret", salt: [1, 2, 3, 4])
                == "md598a0412b9c31436fc53776e863350083")
    }

    /// RFC 7914 §11's PBKDF2-HMAC-SHA-256 vector (64 bytes), and an empty password, which still
    /// has to reach OpenSSL with an address (both cross-checked with Python's hashlib).
    @Test func pbkdf2MatchesTheRFCVectorAndAcceptsAnEmptyPassword() throws {
        let derived = try CryptoPrimitives.pbkdf2SHA256(
            password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(
            CryptoPrimitives.hex(derived)
                == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        let empty = try CryptoPrimitives.pbkdf2SHA256(password: [], salt: [1, 2, 3], iterations: 2)
        #expect(
            CryptoPrimitives.hex(empty) == "8cb314dea8659d2604b8cba0b44e0399deef372bc2ab48585f008fb7686be089")
    }
}
