import FoundationEssentials

/// `tokens.json` and `tokens.journal`.
extension TokenLedger: JournaledContent {
    static func decodeSnapshot(_ bytes: [UInt8]) throws -> TokenLedger {
        try JSONDecoder().decode(TokenLedger.self, from: Data(bytes))
    }

    func delta(sequence: UInt64, keys: ChangedKeys) -> Delta {
        Delta(sequence: sequence, of: self, keys: keys)
    }

    /// The entries that changed, each with its new value, or null for one that went away: one
    /// line of `tokens.journal`.
    struct Delta: JournalDelta {
        /// Rises by one per journal line; a snapshot names the last one it includes.
        var sequence: UInt64
        var families: [String: Family?] = [:]
        var refreshTokens: [String: RefreshRecord?] = [:]
        var revokedAccessTokens: [String: Int64?] = [:]

        /// The entries of `ledger` named by `keys`, as they are now.
        init(sequence: UInt64, of ledger: TokenLedger, keys: ChangedKeys) {
            self.sequence = sequence
            for key in keys.families { families.updateValue(ledger.families[key], forKey: key) }
            for key in keys.refreshTokens {
                refreshTokens.updateValue(ledger.refreshTokens[key], forKey: key)
            }
            for key in keys.revokedAccessTokens {
                revokedAccessTokens.updateValue(ledger.revokedAccessTokens[key], forKey: key)
            }
        }

        var isEmpty: Bool { families.isEmpty && refreshTokens.isEmpty && revokedAccessTokens.isEmpty }
    }
}
