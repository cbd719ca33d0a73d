extension HTTPClient {
    /// Lowers (or raises) the largest response body accepted, for callers that talk to servers
    /// they do not control and know how much a legitimate answer can hold (e.g. an OIDC provider).
    public func limitBody(to bytes: Int) { maxBodySize = bytes }
}
