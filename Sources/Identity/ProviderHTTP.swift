import CollabCore
import WireProtocol

/// Why a provider would not vouch for the user.
enum ProviderRejection: Error, Equatable {
    /// The provider refused the code (bogus, replayed, expired) or the user: a client error (401).
    case rejected(String)
    /// The provider's ID token failed a check (signature, issuer, audience, time, nonce): 401.
    case invalidIDToken(String)
    /// The provider could not be reached, its certificate did not verify, or it answered
    /// nonsense: not the client's fault and not ours, a 502 naming the reason.
    case unavailable(String)

    var reason: String {
        switch self {
        case .rejected(let why), .invalidIDToken(let why), .unavailable(let why): why
        }
    }
}

/// One JSON exchange with a provider over an `OIDCTransport`, classifying the failure.
enum ProviderHTTP {
    /// Largest provider response read (discovery, JWKS, tokens, user data are a few KB).
    static let maxResponseSize = 1 << 20

    static func json(
        _ transport: any OIDCTransport, _ method: String, _ url: String, _ headers: HTTPHeaders,
        _ body: [UInt8],
        array: Bool = false
    ) async throws(ProviderRejection) -> JSONValue {
        let response: HTTPClientResponse
        do {
            response = try await transport.send(method: method, url: url, headers: headers, body: body)
        } catch {
            throw .unavailable("\(method) \(url.prefix { $0 != "?" }) failed: \(error)")
        }
        let bytes = response.decodedBody ?? response.body
        guard bytes.count <= maxResponseSize else {
            throw .unavailable(
                "\(method) \(url.prefix { $0 != "?" }) answered more than \(maxResponseSize) bytes")
        }
        let json = try? JSONValue.parse(bytes)
        // RFC 6749 §5.2: a refused grant is a 400 (sometimes 401) with an `error` code.
        if response.status == 400 || response.status == 401 {
            throw .rejected(json?["error"]?.stringValue ?? "status \(response.status)")
        }
        guard response.status == 200, let json, array ? json.arrayValue != nil : json.objectValue != nil
        else {
            throw .unavailable("\(method) \(url.prefix { $0 != "?" }) answered \(response.status)")
        }
        return json
    }
}
