/// A threat model's access list arranged for O(1) checks: built once when the list changes,
/// then each request looks up the caller's id, email and groups in hash maps instead of scanning
/// (a list may hold 10,000 entries; a diagram may have hundreds of editors).
///
/// Matching (DESIGN §5 and upstream TMI's principals):
/// - a `{subject}` entry names the user whose id equals it, or whose email equals it ignoring case;
/// - a user principal names the user of that provider (or any provider, `*`) whose email (ignoring
///   case) or id equals `provider_id`;
/// - a group principal names every member of that IdP group who logged in through that provider
///   (or any provider, `*`); the group `everyone` with provider `*` names every authenticated user.
/// The highest matching role applies; the `owner` field always wins.
public struct AccessIndex: Sendable, Hashable {
    /// `{subject}` entries by exact subject (id match) and by lowercased subject (email match).
    private var bySubject: [String: Role] = [:]
    private var bySubjectLowercased: [String: Role] = [:]
    /// User principals by provider, then by lowercased provider_id (`*`: any provider).
    private var users: [String: [String: Role]] = [:]
    private var usersExact: [String: [String: Role]] = [:]
    /// Group principals by provider, then by group name (`*`: any provider).
    private var groups: [String: [String: Role]] = [:]
    private var everyone: Role?
    public let owner: String

    public init(owner: String, authorization: [Authorization]) {
        self.owner = owner
        for entry in authorization {
            guard let p = entry.principal else {
                Self.raise(&bySubject, entry.subject, entry.role)
                Self.raise(&bySubjectLowercased, entry.subject.lowercased(), entry.role)
                continue
            }
            switch p.kind {
            case .user:
                Self.raise(&users[p.provider, default: [:]], p.providerID.lowercased(), entry.role)
                Self.raise(&usersExact[p.provider, default: [:]], p.providerID, entry.role)
            case .group:
                if p.isEveryone {
                    everyone = max(everyone ?? entry.role, entry.role)
                } else {
                    Self.raise(&groups[p.provider, default: [:]], p.providerID, entry.role)
                }
            }
        }
    }

    private static func raise(_ map: inout [String: Role], _ key: String, _ role: Role) {
        if let old = map[key], old >= role { return }
        map[key] = role
    }

    /// The caller's role: owner if the `owner` field names them, else the highest entry that
    /// names them, else nil. Cost: a few hash lookups plus one per group the caller is in.
    public func role(of user: UserIdentity) -> Role? {
        if user.matches(owner) { return .owner }
        var best = everyone
        func consider(_ role: Role?) {
            guard let role else { return }
            best = max(best ?? role, role)
        }
        consider(bySubject[user.id])
        let email = user.email.lowercased()
        if !email.isEmpty { consider(bySubjectLowercased[email]) }
        for provider in [user.idp, Principal.anyProvider] where !provider.isEmpty {
            if let named = users[provider], !email.isEmpty { consider(named[email]) }
            if let named = usersExact[provider] { consider(named[user.id]) }
            if let members = groups[provider] {
                for group in user.groups { consider(members[group]) }
            }
        }
        return best
    }
}
