import Testing

@testable import WireProtocol

extension HTTPRequest {
    /// A valid upgrade request; each argument overrides one part.
    static func makeUpgrade(
        method: String = "GET", versionMinor: Int = 1, upgrade: String? = "websocket",
        connection: String? = "keep-alive, Upgrade", version: String? = "13",
        key: String? = "dGhlIHNhbXBsZSBub25jZQ==", origin: String? = nil, protocols: String? = nil,
        extensions: String? = nil
    ) -> HTTPRequest {
        var h = HTTPHeaders()
        h.add("Host", "127.0.0.1")
        if let upgrade { h.add("Upgrade", upgrade) }
        if let connection { h.add("Connection", connection) }
        if let version { h.add("Sec-WebSocket-Version", version) }
        if let key { h.add("Sec-WebSocket-Key", key) }
        if let origin { h.add("Origin", origin) }
        if let protocols { h.add("Sec-WebSocket-Protocol", protocols) }
        if let extensions { h.add("Sec-WebSocket-Extensions", extensions) }
        return HTTPRequest(method: method, target: "/ws", versionMinor: versionMinor, headers: h)
    }
}

@Suite struct WebSocketUpgradeTests {
    /// RFC 6455 §1.3's worked example.
    @Test func acceptValueMatchesRFCExample() {
        #expect(
            WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==")
                == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func validRequestGets101WithUpgradeClosure() {
        let response = WebSocketUpgrade.respond(to: .makeUpgrade()) { _ in }
        #expect(response.status == 101)
        #expect(response.headers["Upgrade"] == "websocket")
        #expect(response.headers["Connection"] == "Upgrade")
        #expect(response.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(response.headers["Sec-WebSocket-Protocol"] == nil)
        #expect(response.upgrade != nil)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        var name: String
        var request: HTTPRequest
        var status: Int
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "POST", request: .makeUpgrade(method: "POST"), status: 400),
        Bad(name: "HTTP/1.0", request: .makeUpgrade(versionMinor: 0), status: 400),
        Bad(name: "no Upgrade", request: .makeUpgrade(upgrade: nil), status: 400),
        Bad(name: "Upgrade: h2c", request: .makeUpgrade(upgrade: "h2c"), status: 400),
        Bad(name: "no Connection: upgrade", request: .makeUpgrade(connection: "keep-alive"), status: 400),
        Bad(name: "version 8", request: .makeUpgrade(version: "8"), status: 426),
        Bad(name: "no version", request: .makeUpgrade(version: nil), status: 426),
        Bad(name: "no key", request: .makeUpgrade(key: nil), status: 400),
        Bad(name: "key not base64", request: .makeUpgrade(key: "not base64 at all!!!!!!!"), status: 400),
        Bad(name: "key of 15 bytes", request: .makeUpgrade(key: "AAAAAAAAAAAAAAAAAAAA"), status: 400),
    ]

    @Test(arguments: bad)
    func refusesBadRequest(_ b: Bad) {
        let response = WebSocketUpgrade.respond(to: b.request) { _ in }
        #expect(response.status == b.status)
        #expect(response.upgrade == nil)
        #expect(response.headers["Content-Type"] == "application/json")
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.hasPrefix("{\"error\":\"invalid_request\",\"error_description\":\""))
        if b.status == 426 { #expect(response.headers["Sec-WebSocket-Version"] == "13") }
    }

    @Test func originCallbackDecides() {
        var config = WebSocketConfiguration()
        config.acceptOrigin = { $0 == "https://tmi.example" }
        let denied = WebSocketUpgrade.respond(
            to: .makeUpgrade(origin: "https://evil.example"), configuration: config
        ) { _ in }
        #expect(denied.status == 403)
        #expect(String(decoding: denied.body, as: UTF8.self).contains("\"error\":\"forbidden\""))
        let missing = WebSocketUpgrade.respond(to: .makeUpgrade(), configuration: config) { _ in }
        #expect(missing.status == 403)
        let allowed = WebSocketUpgrade.respond(
            to: .makeUpgrade(origin: "https://tmi.example"), configuration: config
        ) { _ in }
        #expect(allowed.status == 101)
    }

    @Test(
        arguments: [
            ("chat, tmi.v1", "tmi.v1"), ("tmi.v2, tmi.v1", "tmi.v2"), ("other", nil), (nil, nil),
        ] as [(String?, String?)])
    func subprotocolIsClientsFirstSupported(_ offered: String?, _ chosen: String?) {
        var config = WebSocketConfiguration()
        config.subprotocols = ["tmi.v1", "tmi.v2"]
        let response = WebSocketUpgrade.respond(to: .makeUpgrade(protocols: offered), configuration: config) {
            _ in
        }
        #expect(response.status == 101)
        #expect(response.headers["Sec-WebSocket-Protocol"] == chosen)
    }

    @Test func compressionIsNegotiatedOrOmitted() {
        let on = WebSocketUpgrade.respond(
            to: .makeUpgrade(extensions: "permessage-deflate; client_max_window_bits")
        ) { _ in }
        #expect(on.headers["Sec-WebSocket-Extensions"] == "permessage-deflate; client_max_window_bits=12")
        var config = WebSocketConfiguration()
        config.compression = nil
        let off = WebSocketUpgrade.respond(
            to: .makeUpgrade(extensions: "permessage-deflate"), configuration: config
        ) { _ in }
        #expect(off.headers["Sec-WebSocket-Extensions"] == nil)
        let unknown = WebSocketUpgrade.respond(to: .makeUpgrade(extensions: "x-webkit-deflate-frame")) { _ in
        }
        #expect(unknown.headers["Sec-WebSocket-Extensions"] == nil)
    }
}
