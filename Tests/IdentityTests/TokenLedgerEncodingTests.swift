import CollabCore
import FoundationEssentials
import Testing

@testable import Identity

/// `TokenLedger.encoded()` writes `tokens.json` by hand; these hold it to the `Codable`
/// definition: it decodes back to the same ledger, and it is the same JSON document that
/// `JSONEncoder` writes (so a field added to the ledger but not to the encoder fails here).
@Suite struct TokenLedgerEncodingTests {
    /// Text with what JSON must escape, non-ASCII and plain identifiers.
    static let texts = [
        "alice", "", "a\"quote", "back\\slash", "line\nbreak", "tab\t", "\u{1}control", "émile", "日本",
        "🙂", "f3c1a2b4-0000-4000-8000-000000000001",
    ]

    static func randomLedger(_ generator: inout some RandomNumberGenerator) -> TokenLedger {
        func text() -> String {
            texts.randomElement(using: &generator)! + String(Int.random(in: 0..<1000, using: &generator))
        }
        func seconds() -> Int64 { Int64.random(in: -5...4_000_000_000, using: &generator) }
        var families: [String: TokenLedger.Family] = [:]
        var refreshTokens: [String: TokenLedger.RefreshRecord] = [:]
        var revoked: [String: Int64] = [:]
        for _ in 0..<Int.random(in: 0...6, using: &generator) {
            let family = text()
            var accessTokens: [String: Int64] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &generator) { accessTokens[text()] = seconds() }
            let hasOrigin = Bool.random(using: &generator)
            families[family] = TokenLedger.Family(
                userID: text(), accessTokens: accessTokens, idp: hasOrigin ? text() : nil,
                groups: hasOrigin ? (0..<Int.random(in: 0...3, using: &generator)).map { _ in text() } : nil)
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                refreshTokens[text()] = TokenLedger.RefreshRecord(
                    family: family, userID: text(), expiresAt: seconds(),
                    spent: Bool.random(using: &generator))
            }
        }
        for _ in 0..<Int.random(in: 0...4, using: &generator) {
            revoked[text()] = seconds()
        }
        let ledger = TokenLedger(
            refreshTokens: refreshTokens, families: families, revokedAccessTokens: revoked)
        return ledger
    }

    @Test func theLedgerReadsBackAndIsTheSameJSONAsJSONEncoders() throws {
        var generator = SystemRandomNumberGenerator()
        let encoder = JSONEncoder()
        for _ in 0..<300 {
            let ledger = Self.randomLedger(&generator)
            let bytes = ledger.encoded()
            #expect(try JSONDecoder().decode(TokenLedger.self, from: Data(bytes)) == ledger)
            let reference = try JSONValue.parse(Array(encoder.encode(ledger)))
            #expect(try JSONValue.parse(bytes) == reference)
        }
    }

    @Test func anEmptyLedger() throws {
        let bytes = TokenLedger().encoded()
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"families":{},"refreshTokens":{},"revokedAccessTokens":{}}"#)
        #expect(try JSONDecoder().decode(TokenLedger.self, from: Data(bytes)) == TokenLedger())
    }
}
