import FoundationEssentials
import Testing

@testable import WireProtocol

@Suite struct PostgresAuthenticationTests {
    /// RFC 7677 §3: the SCRAM-SHA-256 example exchange (user "user", password "pencil").
    @Test func scramMatchesRFC7677Example() throws {
        var scram = PostgresSCRAM(password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO", user: "user")
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
    func scramRejectsBadServerFirst(_ serverFirst: String) {
        var scram = PostgresSCRAM(password: "pw", nonce: "abc")
        #expect(throws: PostgresError.self) {
            try scram.clientFinalMessage(serverFirst: Array(serverFirst.utf8))
        }
    }

    @Test func scramFinalWithoutFirstFails() {
        let scram = PostgresSCRAM(password: "pw", nonce: "abc")
        #expect(throws: PostgresError.self) { try scram.verify(serverFinal: Array("v=AAAA".utf8)) }
    }

    /// md5 answer cross-checked with Python's hashlib.
    @Test func md5PasswordAnswer() {
        #expect(
            PostgresCrypto.md5Password(user: "alice", password: "secret", salt: [1, 2, 3, 4])
                == "md598a0412b9c31436fc53776e863350083")
    }

    /// RFC 4231 test case 2 for HMAC-SHA-256.
    @Test func hmacSHA256() {
        let mac = PostgresCrypto.hmacSHA256(
            key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(PostgresCrypto.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func pbkdf2AcceptsAnEmptyPassword() {
        #expect(PostgresCrypto.pbkdf2SHA256(password: [], salt: [1, 2, 3], iterations: 2).count == 32)
    }
}
