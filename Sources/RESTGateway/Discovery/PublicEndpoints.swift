import CollabCore
import FoundationEssentials
import Synchronization
import WireProtocol

/// The build identifier reported by `GET /` (ApiInfo `service.build`).
public enum ServerBuild {
    public static let version = "0.1.0"
}

/// Endpoints that need no store and no token: `GET /` (ApiInfo) and the two RFC 8414 discovery
/// documents. `GET /.well-known/jwks.json` belongs to the identity service, which owns the keys.
public struct PublicEndpoints: RouteProvider {
    /// The public base URL (no trailing slash) every advertised endpoint is built from.
    public var baseURL: String
    public var operatorName: String
    public var operatorContact: String
    /// Algorithm the identity service signs tokens with, advertised for ID tokens.
    public var signingAlgorithm: String
    public var build: String
    /// Wall clock for ApiInfo `status.time`; injectable so tests can pin it.
    public var now: @Sendable () -> Date

    public init(
        baseURL: String, operatorName: String = "TMI Operator", operatorContact: String = "admin@localhost",
        signingAlgorithm: String = "RS256", build: String = ServerBuild.version,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.baseURL = baseURL
        self.operatorName = operatorName
        self.operatorContact = operatorContact
        self.signingAlgorithm = signingAlgorithm
        self.build = build
        self.now = now
    }

    /// Built from the server configuration and the base URL resolved after binding.
    public init(configuration: ServerConfiguration, baseURL: String) {
        self.init(
            baseURL: baseURL, operatorName: configuration.operatorName,
            operatorContact: configuration.operatorContact,
            signingAlgorithm: configuration.jwtAlgorithm.rawValue)
    }

    public var routes: [Route] {
        // The discovery documents depend only on configuration: serialize them once.
        let openID = DiscoveryDocuments.openIDConfiguration(
            baseURL: baseURL, signingAlgorithm: signingAlgorithm
        ).serialized()
        let oauth = DiscoveryDocuments.authorizationServerMetadata(baseURL: baseURL).serialized()
        let apiInfo = ApiInfoCache(endpoints: self)
        var apiInfoHeaders = HTTPHeaders()
        apiInfoHeaders.set("Content-Type", "application/json")
        apiInfoHeaders.set("Cache-Control", "no-store")
        return [
            // The fields are built once: growing a fresh list on every `GET /` was 1 % of its CPU.
            Route("GET", "/", access: .open) { [apiInfoHeaders] _ in
                HTTPResponse(status: 200, headers: apiInfoHeaders, body: apiInfo.body())
            },
            Route("GET", "/.well-known/openid-configuration", access: .open) { _ in Self.document(openID) },
            Route("GET", "/.well-known/oauth-authorization-server", access: .open) { _ in Self.document(oauth)
            },
        ]
    }

    /// The spec's `ApiInfo` schema: status, service, api and operator.
    public func apiInfo() -> JSONValue { apiInfo(at: now()) }

    func apiInfo(at time: Date) -> JSONValue {
        .object([
            "status": .object(["code": "OK", "time": .string(RFC3339.format(time))]),
            "service": .object(["name": "TMI", "build": .string(build)]),
            "api": .object([
                "version": "1.0",
                "specification":
                    "https://github.com/ericfitz/tmi/blob/main/shared/api-specs/tmi-openapi.json",
            ]),
            "operator": .object(["name": .string(operatorName), "contact": .string(operatorContact)]),
        ])
    }

    /// The serialized ApiInfo, rebuilt only when its whole-second `time` changes: `GET /` is the
    /// endpoint monitors and benchmarks hit hardest.
    final class ApiInfoCache: Sendable {
        let endpoints: PublicEndpoints
        private let cached = Mutex<(second: Int64, body: [UInt8])>((Int64.min, []))

        init(endpoints: PublicEndpoints) { self.endpoints = endpoints }

        func body() -> [UInt8] {
            let now = endpoints.now()
            let second = Int64(now.timeIntervalSince1970.rounded(.down))
            return cached.withLock { cache in
                if cache.second != second {
                    cache = (second, endpoints.apiInfo(at: now).serialized())
                }
                return cache.body
            }
        }
    }

    private static func document(_ bytes: [UInt8]) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/json")
        // Metadata changes only with configuration; let clients cache it briefly.
        headers.set("Cache-Control", "public, max-age=300")
        return HTTPResponse(status: 200, headers: headers, body: bytes)
    }
}
