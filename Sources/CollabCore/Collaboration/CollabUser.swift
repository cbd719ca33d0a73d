/// A participant's identity as the catalogue's `User` object carries it (`user_id`, `email`,
/// `displayName`).
///
/// The server always fills `initiating_user` of what it sends from the authenticated identity, never
/// from what a client claimed; a client's claim is only compared (see `UserClaim.matches`).
public struct CollabUser: Sendable, Hashable {
    /// The one identity key of DESIGN §5 (owner checks, hosts, presenters, participants).
    public var userID: String
    public var email: String
    public var displayName: String?

    public init(userID: String, email: String, displayName: String? = nil) {
        self.userID = userID
        self.email = email
        self.displayName = displayName
    }

    /// The catalogue `User` object.
    public var json: JSONValue {
        var o: [String: JSONValue] = ["user_id": .string(userID), "email": .string(email)]
        if let displayName { o["displayName"] = .string(displayName) }
        return .object(o)
    }

    /// The `participants_update` form (`user_id`, `name`, `email`: all three are required there).
    public var participantJSON: JSONValue {
        .object([
            "user_id": .string(userID), "name": .string(displayName ?? email), "email": .string(email),
        ])
    }
}

/// The user fields a client put in a message (`initiating_user`, `new_presenter`, `removed_user`).
/// Every field may be absent; the catalogue requires `user_id` or `email`.
public struct UserClaim: Sendable, Hashable {
    public var userID: String?
    public var email: String?
    public var displayName: String?

    public init(userID: String? = nil, email: String? = nil, displayName: String? = nil) {
        self.userID = userID
        self.email = email
        self.displayName = displayName
    }

    public init(_ user: CollabUser) {
        self.init(userID: user.userID, email: user.email, displayName: user.displayName)
    }

    init(json: JSONValue, field: String) throws(CollabMessageError) {
        guard let o = json.objectValue else { throw .invalidField(field, "must be a User object") }
        userID = o["user_id"]?.stringValue
        email = o["email"]?.stringValue
        displayName = o["displayName"]?.stringValue ?? o["name"]?.stringValue
        if userID == nil && email == nil { throw .invalidField(field, "needs user_id or email") }
    }

    /// A claim names `user` when every identifying field it carries agrees with it (the
    /// `displayName` is decoration and is not compared). Emails compare case-insensitively.
    public func matches(_ user: CollabUser) -> Bool {
        if userID == nil && email == nil { return false }
        // Older clients put the email in `user_id`; that still names the same person.
        if let userID, userID != user.userID, userID.lowercased() != user.email.lowercased() {
            return false
        }
        if let email, email.lowercased() != user.email.lowercased() { return false }
        return true
    }
}
