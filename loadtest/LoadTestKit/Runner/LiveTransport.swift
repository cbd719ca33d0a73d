/// The real network transport. It is built on the project's WireProtocol HTTP client and
/// WebSocket client; until both are on main this build has none, and the executable says so.
public enum LiveTransport {
    public static func make(options: LoadTestOptions) throws(LoadTestError) -> any LoadTestTransport {
        throw .setup(
            "this build has no network transport yet (it arrives with the WireProtocol HTTP and WebSocket clients)"
        )
    }
}
