import FoundationEssentials
import WireProtocol

/// The identity service's side of `PendingLoginStore`: typed records in and out, keys hashed,
/// and a store that fails (the database unreachable) answered as a 503 the client can retry,
/// never as a bare 500.
extension IdentityService {
    /// Refusal of a new login while `maxPending` logins are pending in a shared store: a flood
    /// of `authorize` calls must not grow the table without bound (RFC 6749 §4.1.2.1 names this
    /// case `temporarily_unavailable`).
    static func tooManyLogins() -> IdentityError {
        IdentityError(
            status: 503, code: "temporarily_unavailable",
            description: "Too many logins are in progress; try again in a minute",
            headers: HTTPHeaders([("Retry-After", "60"), ("Cache-Control", "no-store")]))
    }

    /// Runs one store call; a failure of the store itself becomes a 503 JSON error and a
    /// warning line (the reason, never a state or code).
    func pendingStoreCall<T>(_ body: (any PendingLoginStore) async throws -> T) async throws -> T {
        do {
            return try await body(pendingLogins)
        } catch let error as IdentityError {
            throw error
        } catch {
            configuration.warn("logins in progress could not be read or written: \(error)")
            throw IdentityError(
                status: 503, code: "temporarily_unavailable",
                description: "Logins cannot be completed right now; try again shortly",
                headers: HTTPHeaders([("Retry-After", "1"), ("Cache-Control", "no-store")]))
        }
    }

    static func encodePending<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The entry's record; nil (treated as unknown) if it does not decode, which only a
    /// database edited by hand could cause.
    static func decodePending<T: Decodable>(_ type: T.Type, _ entry: PendingLoginEntry) -> T? {
        try? JSONDecoder().decode(type, from: Data(entry.payload.utf8))
    }

    /// Records a new login under `stateKey` (and its test code), purging expired entries once a
    /// minute; refuses it while the store holds `maxPending` logins.
    func recordLogin(
        stateKey: String, _ pending: PendingAuthorization, testCode: (code: String, TestProviderCode)?,
        now: Int64
    ) async throws {
        var entries = [
            PendingLoginEntry(
                kind: .login, key: stateKey, payload: try Self.encodePending(pending),
                expiresAt: pending.expiresAt)
        ]
        if let (code, record) = testCode {
            entries.append(
                PendingLoginEntry(
                    kind: .testCode, key: Self.hash(code), login: stateKey,
                    payload: try Self.encodePending(record), expiresAt: record.expiresAt))
        }
        let purge = state.withLock { s -> Bool in
            guard now - s.lastPrune >= 60 else { return false }
            s.lastPrune = now
            return true
        }
        let limit = IdentityState.maxPending
        try await pendingStoreCall { store in
            if purge { try await store.purge(now: now) }
            if try await store.insert(entries, limit: limit, now: now) { return }
            // Full: what expired may make room; otherwise the login is refused.
            try await store.purge(now: now)
            guard try await store.insert(entries, limit: limit, now: now) else { throw Self.tooManyLogins() }
        }
    }

    /// The unexpired login with `stateKey`, used or not.
    func pendingLogin(_ stateKey: String, now: Int64) async throws -> (
        PendingAuthorization, used: Bool
    )? {
        guard let entry = try await pendingStoreCall({ try await $0.entry(.login, key: stateKey, now: now) }),
            let record = Self.decodePending(PendingAuthorization.self, entry)
        else { return nil }
        return (record, entry.used)
    }

    /// Uses the login with `stateKey`: true for exactly one caller, while it has not expired.
    func claimLogin(_ stateKey: String, now: Int64) async throws -> PendingLoginTake {
        try await pendingStoreCall { try await $0.take(.login, key: stateKey, now: now) }
    }

    /// The unexpired test code `code`, used or not.
    func testCode(_ code: String, now: Int64) async throws -> (TestProviderCode, used: Bool)? {
        guard
            let entry = try await pendingStoreCall({
                try await $0.entry(.testCode, key: Self.hash(code), now: now)
            }),
            let record = Self.decodePending(TestProviderCode.self, entry)
        else { return nil }
        return (record, entry.used)
    }

    /// Uses the test code `code` issued for the login with `stateKey`; nil when it is not
    /// (unknown, expired, already used, or another login's).
    func takeTestCode(_ code: String, stateKey: String, now: Int64) async throws -> TestProviderCode? {
        guard let (record, used) = try await testCode(code, now: now), !used, record.state == stateKey,
            case .taken = try await pendingStoreCall({
                try await $0.take(.testCode, key: Self.hash(code), now: now)
            })
        else { return nil }
        return record
    }

    /// Records a code of ours for a PKCE client; it needs no bound of its own (each comes from
    /// a login that was bounded and used).
    func recordGrant(_ code: String, _ grant: LoginGrant, now: Int64) async throws {
        let entry = PendingLoginEntry(
            kind: .grant, key: Self.hash(code), payload: try Self.encodePending(grant),
            expiresAt: grant.expiresAt)
        _ = try await pendingStoreCall { try await $0.insert([entry], limit: nil, now: now) }
    }

    /// Uses a code of ours.
    func takeGrant(_ code: String, now: Int64) async throws -> PendingLoginTake {
        try await pendingStoreCall { try await $0.take(.grant, key: Self.hash(code), now: now) }
    }

    /// Remembers the token family issued for a code, so a replay revokes it.
    func recordGrantFamily(_ code: String, _ grant: LoginGrant, family: String) async throws {
        var grant = grant
        grant.family = family
        let payload = try Self.encodePending(grant)
        try await pendingStoreCall { try await $0.update(.grant, key: Self.hash(code), payload: payload) }
    }
}
