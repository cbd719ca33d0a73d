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

/// The users, indexed by linked identity and by email. A value type: the service keeps it under
/// its lock and persists it as `identity/users.json` and its journal (`JournaledFile`).
struct UserRegistry: Sendable {
    private(set) var users: [String: UserRecord] = [:]
    private var byIdentity: [LinkedIdentity: String] = [:]
    /// Lowercased email -> the ids of the users with that email (a verified email links a new
    /// identity to its user without a pass over every user under the service's lock).
    private var byEmail: [String: Set<String>] = [:]
    /// The users changed since `takeChanges()`: what the journal writes. Every change goes through
    /// `insert`, so none is missed. Neither stored nor compared.
    private(set) var changes = ChangedUsers()

    struct ChangedUsers: JournalChanges {
        var ids: Set<String> = []
        mutating func formUnion(_ other: ChangedUsers) { ids.formUnion(other.ids) }
    }

    init() {}

    /// A registry of these users (start-up from an older file, tests; no changes recorded).
    init(users: [UserRecord]) {
        for user in users { insert(user, recording: false) }
    }

    subscript(id: String) -> UserRecord? { users[id] }

    var all: [UserRecord] {
        users.values.sorted(by: Self.olderFirst)
    }

    private static func olderFirst(_ a: UserRecord, _ b: UserRecord) -> Bool {
        a.createdAt == b.createdAt ? a.id < b.id : a.createdAt < b.createdAt
    }

    /// The oldest user with this email, ignoring case.
    func user(email: String) -> UserRecord? {
        byEmail[email.lowercased()]?.compactMap { users[$0] }.min(by: Self.olderFirst)
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
            if changed { insert(user) }
            return (user, changed)
        }
        if emailVerified, !email.isEmpty, var user = self.user(email: email) {
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

    /// The changes recorded since the last call, which start again from none.
    mutating func takeChanges() -> ChangedUsers {
        defer { changes = ChangedUsers() }
        return changes
    }

    private mutating func insert(_ user: UserRecord, recording: Bool = true) {
        if let old = users[user.id]?.email.lowercased(), old != user.email.lowercased() {
            byEmail[old]?.remove(user.id)
            if byEmail[old]?.isEmpty == true { byEmail[old] = nil }
        }
        users[user.id] = user
        for identity in user.identities { byIdentity[identity] = user.id }
        if !user.email.isEmpty { byEmail[user.email.lowercased(), default: []].insert(user.id) }
        if recording { changes.ids.insert(user.id) }
    }
}

/// `users.json` and `users.journal`.
extension UserRegistry: JournaledContent {
    /// The users that changed, each as it is now: one line of `users.journal`. Users are never
    /// removed.
    struct Delta: JournalDelta {
        var sequence: UInt64
        var users: [String: UserRecord] = [:]
        var isEmpty: Bool { users.isEmpty }
    }

    func delta(sequence: UInt64, keys: ChangedUsers) -> Delta {
        var delta = Delta(sequence: sequence)
        for id in keys.ids { delta.users[id] = users[id] }
        return delta
    }

    mutating func apply(_ delta: Delta) {
        for user in delta.users.values { insert(user, recording: false) }
    }
}
