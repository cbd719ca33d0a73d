import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct RouterTests {
    static let patterns: [(String, String)] = [
        ("GET", "/"),
        ("GET", "/threat_models"),
        ("POST", "/threat_models"),
        ("GET", "/threat_models/{threat_model_id}"),
        ("PUT", "/threat_models/{threat_model_id}"),
        ("DELETE", "/threat_models/{threat_model_id}"),
        ("GET", "/threat_models/{threat_model_id}/threats/{threat_id}"),
        ("POST", "/threat_models/{threat_model_id}/threats/bulk"),
        ("GET", "/threat_models/{threat_model_id}/metadata/{key}"),
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/collaboration/sessions"),
    ]

    static let router: Router = {
        let routes = patterns.map { Route($0.0, $0.1, access: .open) { _ in .empty() } }
        do { return try Router(routes: routes) } catch { preconditionFailure("\(error)") }
    }()

    enum Expected: Equatable {
        case found(String, [String: String])
        case notAllowed([String])
        case options([String])
        case notFound
    }

    func resolve(_ method: String, _ path: String) -> Expected {
        switch Self.router.lookup(method: method, path: path[...]) {
        case .found(let index, let parameters):
            let route = Self.router.route(at: index)
            return .found("\(route.method) \(route.pattern)", parameters.dictionary)
        case .methodNotAllowed(let allow): return .notAllowed(allow)
        case .options(let allow): return .options(allow)
        case .notFound: return .notFound
        }
    }

    static let cases: [(String, String, Expected)] = [
        ("GET", "/", .found("GET /", [:])),
        ("GET", "/threat_models", .found("GET /threat_models", [:])),
        ("POST", "/threat_models", .found("POST /threat_models", [:])),
        ("GET", "/threat_models/", .found("GET /threat_models", [:])),  // trailing slash ignored
        (
            "GET", "/threat_models/abc",
            .found("GET /threat_models/{threat_model_id}", ["threat_model_id": "abc"])
        ),
        (
            "GET", "/threat_models/abc/",
            .found("GET /threat_models/{threat_model_id}", ["threat_model_id": "abc"])
        ),
        (
            "GET", "/threat_models/t1/threats/x9",
            .found(
                "GET /threat_models/{threat_model_id}/threats/{threat_id}",
                ["threat_model_id": "t1", "threat_id": "x9"])
        ),
        // Static beats parameter, and a static branch without the method falls back to the parameter.
        (
            "POST", "/threat_models/t1/threats/bulk",
            .found("POST /threat_models/{threat_model_id}/threats/bulk", ["threat_model_id": "t1"])
        ),
        (
            "GET", "/threat_models/t1/threats/bulk",
            .found(
                "GET /threat_models/{threat_model_id}/threats/{threat_id}",
                ["threat_model_id": "t1", "threat_id": "bulk"])
        ),
        // Percent-decoding applies per segment; an encoded slash stays inside the parameter.
        (
            "GET", "/threat_models/a%20b",
            .found("GET /threat_models/{threat_model_id}", ["threat_model_id": "a b"])
        ),
        (
            "GET", "/threat_models/a%2Fb",
            .found("GET /threat_models/{threat_model_id}", ["threat_model_id": "a/b"])
        ),
        (
            "GET", "/threat_models/t/metadata/caf%C3%A9",
            .found(
                "GET /threat_models/{threat_model_id}/metadata/{key}",
                ["threat_model_id": "t", "key": "café"])
        ),
        (
            "GET", "/threat_models/%zz",
            .found("GET /threat_models/{threat_model_id}", ["threat_model_id": "%zz"])
        ),
        ("GET", "/threat%5Fmodels", .found("GET /threat_models", [:])),
        // HEAD is served by GET.
        (
            "HEAD", "/threat_models/abc",
            .found("GET /threat_models/{threat_model_id}", ["threat_model_id": "abc"])
        ),
        // 405 with the union of the path's methods, plus HEAD for GET and OPTIONS.
        ("PATCH", "/threat_models/abc", .notAllowed(["DELETE", "GET", "HEAD", "OPTIONS", "PUT"])),
        ("DELETE", "/threat_models", .notAllowed(["GET", "HEAD", "OPTIONS", "POST"])),
        ("PUT", "/threat_models/t/threats/bulk", .notAllowed(["GET", "HEAD", "OPTIONS", "POST"])),
        // Methods are case-sensitive (RFC 9110 §9.1).
        ("get", "/threat_models", .notAllowed(["GET", "HEAD", "OPTIONS", "POST"])),
        ("OPTIONS", "/collaboration/sessions", .options(["GET", "HEAD", "OPTIONS"])),
        // 404s: unknown, too deep, empty segment, intermediate node without routes.
        ("GET", "/nope", .notFound),
        ("GET", "/threat_models/t/threats", .notFound),
        ("GET", "/threat_models/t/threats/x/y", .notFound),
        ("GET", "/threat_models//threats/x", .notFound),
        ("GET", "/.well-known", .notFound),
        ("OPTIONS", "/nope", .notFound),
        ("GET", "", .notFound),
        ("GET", "*", .notFound),
        // Absolute-form targets route by their path.
        ("GET", "http://localhost:8080/collaboration/sessions", .found("GET /collaboration/sessions", [:])),
        ("GET", "http://localhost:8080", .found("GET /", [:])),
    ]

    @Test(arguments: cases)
    func lookup(_ method: String, _ path: String, _ expected: Expected) {
        #expect(resolve(method, path) == expected)
    }

    /// A trailing slash (`//` for the root) changes no answer, for any method, including HEAD,
    /// OPTIONS and unknown ones.
    @Test func aTrailingSlashChangesNoAnswer() {
        let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW"]
        var compared = 0
        for (_, pattern) in Self.patterns where !pattern.contains("{") {
            let other = pattern == "/" ? "//" : pattern + "/"
            for method in methods {
                #expect(resolve(method, pattern) == resolve(method, other), "\(method) \(pattern)")
                compared += 1
            }
        }
        #expect(compared == 5 * methods.count)
        #expect(resolve("GET", "/") == .found("GET /", [:]))
        #expect(resolve("POST", "/threat_models") == .found("POST /threat_models", [:]))
    }

    /// Handlers read parameters by name; a name the pattern lacks is absent.
    @Test func parametersAreFoundByName() {
        guard
            case .found(_, let parameters) = Self.router.lookup(
                method: "GET", path: "/threat_models/t1/threats/x9")
        else {
            Issue.record("no route")
            return
        }
        #expect(parameters["threat_model_id"] == "t1")
        #expect(parameters["threat_id"] == "x9")
        #expect(parameters["diagram_id"] == nil)
        #expect(parameters == ["threat_id": "x9", "threat_model_id": "t1"])
        #expect(parameters != ["threat_id": "x9"])
    }

    /// A name a pattern repeats takes its last segment's value, as when parameters were a
    /// dictionary filled in pattern order.
    @Test func aRepeatedNameTakesTheLastValue() throws {
        let router = try Router(routes: [Route("GET", "/a/{x}/b/{x}", access: .open) { _ in .empty() }])
        guard case .found(_, let parameters) = router.lookup(method: "GET", path: "/a/1/b/2") else {
            Issue.record("no route")
            return
        }
        #expect(parameters["x"] == "2")
        #expect(parameters.dictionary == ["x": "2"])
    }

    @Test func duplicateRouteIsRejected() {
        let routes = [
            Route("GET", "/a/{x}", access: .open) { _ in .empty() },
            Route("GET", "/a/{y}", access: .open) { _ in .empty() },
        ]
        #expect(throws: Router.CompileError.duplicate(method: "GET", pattern: "/a/{y}")) {
            try Router(routes: routes)
        }
    }

    @Test(arguments: ["a/b", "/a/{", "/a/{}", "/a//b", "/a/x{y}"])
    func badPatternIsRejected(_ pattern: String) {
        let routes = [Route("GET", pattern, access: .open) { _ in .empty() }]
        #expect(throws: Router.CompileError.invalidPattern(pattern)) { try Router(routes: routes) }
    }
}
