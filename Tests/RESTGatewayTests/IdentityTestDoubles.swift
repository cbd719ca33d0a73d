import CollabCore
import FoundationEssentials
import Glibc
import Synchronization
import WireProtocol

@testable import Identity
@testable import RESTGateway

/// A wall clock the test moves by hand, so expiry is tested without sleeping.
final class ManualClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double = 1_800_000_000) { seconds = Mutex(start) }

    var now: Date { Date(timeIntervalSince1970: seconds.withLock { $0 }) }
    var epoch: Int64 { Int64(seconds.withLock { $0 }) }

    func advance(_ delta: Double) { seconds.withLock { $0 += delta } }

    var function: @Sendable () -> Date { { self.now } }
}

/// A fresh directory under /tmp for one test's data.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/tmi-identity-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer in
        guard let made = mkdtemp(buffer.baseAddress!) else { return "/tmp" }
        return String(cString: made)
    }
}

extension IdentityConfiguration {
    static func make(
        directory: String = makeTemporaryDirectory(), clock: ManualClock = ManualClock(),
        baseURL: String = "http://127.0.0.1:8080", algorithm: SigningAlgorithm = .rs256,
        testProvider: Bool = true, secret: String? = nil
    ) -> IdentityConfiguration {
        var c = IdentityConfiguration(dataDirectory: directory, publicBaseURL: baseURL)
        c.clock = clock.function
        c.algorithm = algorithm
        c.testProviderEnabled = testProvider
        c.hmacSecret = secret
        return c
    }
}

/// The identity routes behind the real gateway (router, middleware, the service as
/// authenticator), called without sockets the way a browser or client would.
struct IdentityHarness {
    let service: IdentityService
    let gateway: Gateway
    let clock: ManualClock

    static func make(_ configuration: IdentityConfiguration? = nil, clock: ManualClock = ManualClock())
        async throws
        -> IdentityHarness
    {
        let service = try await IdentityService.open(configuration ?? .make(clock: clock))
        let gateway = try Gateway(
            routes: IdentityRoutes(service: service).routes, authenticator: service,
            middleware: Gateway.standardMiddleware(logger: .discarding))
        return IdentityHarness(service: service, gateway: gateway, clock: clock)
    }

    func send(
        _ method: String, _ target: String, bearer: String? = nil, json: JSONValue? = nil, form: String? = nil
    ) async -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Host", "127.0.0.1:8080")
        var body: [UInt8] = []
        if let json {
            headers.add("Content-Type", "application/json")
            body = json.serialized()
        } else if let form {
            headers.add("Content-Type", "application/x-www-form-urlencoded")
            body = Array(form.utf8)
        }
        if let bearer { headers.add("Authorization", "Bearer \(bearer)") }
        return await gateway.respond(
            to: HTTPRequest(method: method, target: target, headers: headers, body: body))
    }

    /// Follows a `Location` the way a browser does: only same-origin locations are requested
    /// from the gateway; the first off-site one (the client's callback) is returned.
    func browse(_ target: String, maxRedirects: Int = 5) async throws -> (
        last: HTTPResponse, offsite: String?
    ) {
        var response = await send("GET", target)
        for _ in 0..<maxRedirects {
            guard response.status == 302, let location = response.headers["Location"] else {
                return (response, nil)
            }
            guard location.hasPrefix(service.configuration.publicBaseURL) else { return (response, location) }
            response = await send(
                "GET", String(location.dropFirst(service.configuration.publicBaseURL.count)))
        }
        return (response, nil)
    }

    /// Logs `hint` in through the test provider with a client callback; returns the tokens the
    /// callback URL received.
    func login(_ hint: String, state: String = "S") async throws -> [String: String] {
        let target =
            "/oauth2/authorize?idp=test&login_hint=\(hint)&scope=openid&state=\(state)"
            + "&client_callback=http%3A%2F%2Flocalhost%3A4200%2Fcb"
        let (_, offsite) = try await browse(target)
        guard let offsite, let query = offsite.split(separator: "?", maxSplits: 1).last else { return [:] }
        return QueryString.parse(query)
    }
}
