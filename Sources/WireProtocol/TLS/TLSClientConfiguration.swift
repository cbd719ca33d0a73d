/// Whom a TLS client trusts. Build a `TLSContext` from it once (`TLSContext.client(_:)`, which
/// reads the CA files) and share that context between clients and connections.
///
/// ```swift
/// // Public providers plus a private CA (e.g. from --idp-ca-file):
/// let tls = try TLSContext.client(TLSClientConfiguration(additionalCAFile: "/etc/tmi/idp-ca.pem"))
/// let client = HTTPClient(host: "idp.example.com", port: 443, tls: tls)
/// ```
///
/// Every connection verifies the server's chain against these roots and its name against the host
/// connected to (SNI is sent for names, not for IP literals; `SSL_set1_host` checks DNS names and IP
/// addresses). A rejected certificate fails with `TLSError.verificationFailed(reason)`.
public struct TLSClientConfiguration: Sendable, Equatable {
    /// Trust the system CA store (`/etc/ssl/certs`), as a browser would.
    public var trustsSystemRoots: Bool
    /// A PEM file with one or more further CA certificates to trust (a private CA).
    public var additionalCAFile: String?

    /// Whether the server's chain and name are verified. Only PostgreSQL's `sslmode=require`
    /// turns this off (encryption against passive eavesdropping, no authentication of the server).
    public var verifiesPeer = true
    /// ALPN protocol names offered, in preference order (PostgreSQL expects "postgresql").
    public var applicationProtocols = ["http/1.1"]

    public init(trustsSystemRoots: Bool = true, additionalCAFile: String? = nil) {
        self.trustsSystemRoots = trustsSystemRoots
        self.additionalCAFile = additionalCAFile
    }

    /// Debian/Ubuntu's bundle of the system store, and the hashed directory beside it.
    static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"
    static let systemDirectory = "/etc/ssl/certs"
}
