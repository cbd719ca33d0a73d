/// A login provider's name for a person: the provider id (`test`, `google`, ...) and its stable
/// subject identifier (OIDC `sub`; the login hint for the test provider).
public struct LinkedIdentity: Codable, Sendable, Hashable {
    public var provider: String
    public var subject: String

    public init(provider: String, subject: String) {
        self.provider = provider
        self.subject = subject
    }
}

/// One person known to the server. `id` is the internal identity key (the JWT `sub`) that owner
/// checks, ACLs and session participants use; it never changes, even if the email does.
public struct UserRecord: Codable, Sendable, Equatable {
    public var id: String
    public var email: String
    public var name: String
    /// Every provider identity linked to this user, the first being the primary one.
    public var identities: [LinkedIdentity]
    public var createdAt: Int64
}

/// The users, indexed by linked identity. A value type: the service keeps it under its lock and
/// persists it as `identity/users.json`.
struct UserRegistry: Sendable {
    private(set) var users: [String: UserRecord] = [:]
    private var byIdentity: [LinkedIdentity: String] = [:]

    init(users: [UserRecord] = []) {
        for user in users { insert(user) }
    }

    subscript(id: String) -> UserRecord? { users[id] }

    var all: [UserRecord] {
        users.values.sorted { $0.createdAt == $1.createdAt ? $0.id < $1.id : $0.createdAt < $1.createdAt }
    }

    /// The user a provider vouched for: the same provider identity always maps to the same user.
    /// A new identity whose email the provider has verified joins the existing user with that
    /// email (so one person logging in through two providers stays one user); an unverified
    /// email never links, or anyone could claim an account by typing its address at some provider.
    /// Email and name follow what the provider says now.
    mutating func login(
        identity: LinkedIdentity, email: String, name: String, emailVerified: Bool, now: Int64,
        newID: () -> String
    ) -> (user: UserRecord, changed: Bool) {
        if let id = byIdentity[identity], var user = users[id] {
            let changed = (!email.isEmpty && user.email != email) || (!name.isEmpty && user.name != name)
            if !email.isEmpty { user.email = email }
            if !name.isEmpty { user.name = name }
            if changed { users[id] = user }
            return (user, changed)
        }
        if emailVerified, !email.isEmpty,
            let existing = users.values.first(where: { $0.email.lowercased() == email.lowercased() })
        {
            var user = existing
            user.identities.append(identity)
            insert(user)
            return (user, true)
        }
        let user = UserRecord(
            id: newID(), email: email, name: name.isEmpty ? email : name, identities: [identity],
            createdAt: now)
        insert(user)
        return (user, true)
    }

    /// Takes a user as another node stored it (the shared store is authoritative).
    mutating func adopt(_ user: UserRecord) { insert(user) }

    private mutating func insert(_ user: UserRecord) {
        users[user.id] = user
        for identity in user.identities { byIdentity[identity] = user.id }
    }
}
