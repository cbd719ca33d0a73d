import CollabCore

/// The claims of one of our access tokens (RFC 7519 §4.1 registered claims plus `email`/`name`,
/// and `idp`/`groups` for group authorization). Times are seconds since the Unix epoch
/// ("NumericDate", RFC 7519 §2).
public struct AccessTokenClaims: Sendable, Equatable {
    /// Internal user id: the identity key every other part of the server uses.
    public var subject: String
    public var email: String
    public var name: String
    public var issuer: String
    public var audience: String
    public var issuedAt: Int64
    public var notBefore: Int64
    public var expiresAt: Int64
    /// Unique per token: what `revoke` records (until `expiresAt`).
    public var id: String
    /// The login provider that vouched for the user (`test`, `google`, a configured id): the
    /// `provider` of a group principal is matched against it.
    public var idp: String = ""
    /// The user's groups at that provider when they logged in (empty when it names none). A
    /// token carries them so an authorization check needs no lookup; they change at next login.
    public var groups: [String] = []

    var json: JSONValue {
        [
            "sub": .string(subject),
            "email": .string(email),
            "name": .string(name),
            "iss": .string(issuer),
            "aud": .string(audience),
            "iat": .number(Double(issuedAt)),
            "nbf": .number(Double(notBefore)),
            "exp": .number(Double(expiresAt)),
            "jti": .string(id),
            "idp": .string(idp),
            "groups": .array(groups.map { .string($0) }),
        ]
    }

    /// Reads the claims of a verified payload. `sub`, `iss`, `exp` and `jti` are required because
    /// identity, issuer check, expiry and revocation all depend on them; `aud` may be a string or
    /// an array (RFC 7519 §4.1.3), and the caller checks it against the expected audience.
    init(payload: JSONValue, expectedAudience: String) throws(JWTRejection) {
        guard case .object(let claims) = payload else { throw .malformed("the payload is not a JSON object") }
        func string(_ name: String) throws(JWTRejection) -> String {
            guard let value = claims[name]?.stringValue, !value.isEmpty else { throw .missingClaim(name) }
            return value
        }
        func time(_ name: String, required: Bool) throws(JWTRejection) -> Int64? {
            guard let value = claims[name] else {
                if required { throw .missingClaim(name) }
                return nil
            }
            guard let number = value.doubleValue, number.isFinite, abs(number) < 1e15 else {
                throw .malformed("\(name) is not a NumericDate")
            }
            return Int64(number.rounded(.down))
        }
        subject = try string("sub")
        issuer = try string("iss")
        id = try string("jti")
        email = claims["email"]?.stringValue ?? ""
        name = claims["name"]?.stringValue ?? ""
        // Absent in tokens minted before these claims existed: such a token simply has no groups.
        idp = claims["idp"]?.stringValue ?? ""
        switch claims["groups"] {
        case nil, .null?: groups = []
        case .array(let values)? where values.allSatisfy({ $0.stringValue != nil }):
            groups = values.compactMap(\.stringValue)
        default: throw .malformed("groups is not an array of strings")
        }
        switch claims["aud"] {
        case .string(let single) where single == expectedAudience:
            audience = single
        case .array(let many) where many.contains(.string(expectedAudience)):
            audience = expectedAudience
        case nil:
            throw .missingClaim("aud")
        default:
            throw .wrongAudience
        }
        guard let exp = try time("exp", required: true) else { throw .missingClaim("exp") }
        expiresAt = exp
        issuedAt = try time("iat", required: false) ?? 0
        notBefore = try time("nbf", required: false) ?? issuedAt
    }

    init(
        subject: String, email: String, name: String, issuer: String, audience: String, issuedAt: Int64,
        notBefore: Int64, expiresAt: Int64, id: String, idp: String = "", groups: [String] = []
    ) {
        self.subject = subject
        self.email = email
        self.name = name
        self.issuer = issuer
        self.audience = audience
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.id = id
        self.idp = idp
        self.groups = groups
    }
}

/// Why a bearer token was refused. Every case becomes the same 401 to the client (with the
/// reason as `error_description`), so callers cannot probe which check failed beyond that text.
public enum JWTRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case algorithmNotAllowed(String)
    case badSignature
    case wrongIssuer
    case wrongAudience
    case expired
    case notYetValid
    case revoked
    case missingClaim(String)

    public var description: String {
        switch self {
        case .malformed(let why): "The access token is malformed: \(why)"
        case .algorithmNotAllowed(let alg): "The token algorithm '\(alg.prefix(20))' is not accepted"
        case .badSignature: "The token signature is invalid"
        case .wrongIssuer: "The token was not issued by this server"
        case .wrongAudience: "The token is not intended for this server"
        case .expired: "The access token has expired"
        case .notYetValid: "The access token is not valid yet"
        case .revoked: "The access token has been revoked"
        case .missingClaim(let name): "The access token lacks the '\(name)' claim"
        }
    }

    /// RFC 6750 §3.1: `invalid_token` with a challenge naming the realm and the reason.
    public var identityError: IdentityError {
        var error = IdentityError.unauthorized(description)
        let quoted = description.replacingQuotes()
        error.headers.set(
            "WWW-Authenticate",
            "Bearer realm=\"tmi\", error=\"invalid_token\", error_description=\"\(quoted)\"")
        return error
    }
}

extension String {
    /// `error_description` is a quoted-string (RFC 6750 §3): keep it to %x20-21 / %x23-5B / %x5D-7E.
    fileprivate func replacingQuotes() -> String {
        String(
            String.UnicodeScalarView(
                unicodeScalars.map { s in
                    (s == "\"" || s == "\\" || s.value < 0x20 || s.value > 0x7E) ? "'" : s
                }))
    }
}
