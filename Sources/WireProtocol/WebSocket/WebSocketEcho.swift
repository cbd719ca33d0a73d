/// The echo endpoint used only for conformance runs (Autobahn|Testsuite expects every text and
/// binary message echoed unchanged). Servers mount it at `/echo` behind `--conformance-echo`.
public enum WebSocketEcho {
    /// Limits large enough for the suite's biggest cases (16 MiB messages in group 9).
    public static var conformanceConfiguration: WebSocketConfiguration {
        var c = WebSocketConfiguration()
        c.maxFrameSize = 64 << 20
        c.maxMessageSize = 64 << 20
        c.outboxLimit = 128 << 20
        c.pingInterval = nil
        return c
    }

    /// Echoes every message back until the peer closes.
    @Sendable public static func handler(_ connection: WebSocketConnection) async {
        for await message in connection.messages {
            do { try connection.send(message) } catch { return }
        }
    }

    /// Answers an upgrade request with an echoing connection.
    public static func respond(
        to request: HTTPRequest, configuration: WebSocketConfiguration = conformanceConfiguration
    ) -> HTTPResponse {
        WebSocketUpgrade.respond(to: request, configuration: configuration, handler: handler)
    }
}
