import CollabCore

/// What the operator console shows of a live session (docs/console.md): the REST summary plus
/// when it started, how busy it is and when each participant joined. Times are seconds since 1970.
public struct SessionConsoleView: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var user: CollabUser
        public var role: CollabRole
        /// The user's first connection still in the session.
        public var joinedAt: Double
        public var lastActivity: Double
        /// The cells the participant last said it selected (`presenter_selection` from anyone).
        public var selection: [String]
    }

    public var summary: SessionSummary
    public var createdAt: Double
    public var lastActivity: Double
    /// Operations accepted in the last 60 seconds (the console shows it divided by 60).
    public var operationsLastMinute: Int
    /// One row per user in join order.
    public var members: [Member]
}

extension DiagramSession {
    public var consoleView: SessionConsoleView {
        let now = clock.now()
        var rows: [String: (Int, SessionConsoleView.Member)] = [:]
        for p in participants.values {
            let row = SessionConsoleView.Member(
                user: p.user, role: p.identity.role, joinedAt: p.joinedAt, lastActivity: p.lastActivity,
                selection: p.selection)
            if let (seq, existing) = rows[p.user.userID] {
                var merged = existing
                merged.role = max(existing.role, row.role)
                merged.joinedAt = min(existing.joinedAt, row.joinedAt)
                merged.lastActivity = max(existing.lastActivity, row.lastActivity)
                if p.sequence > seq || merged.selection.isEmpty { merged.selection = row.selection }
                rows[p.user.userID] = (min(seq, p.sequence), merged)
            } else {
                rows[p.user.userID] = (p.sequence, row)
            }
        }
        return SessionConsoleView(
            summary: summary, createdAt: createdAt, lastActivity: lastActivity,
            operationsLastMinute: operationRate.lastMinute(at: now),
            members: rows.values.sorted { $0.0 < $1.0 }.map(\.1))
    }
}
