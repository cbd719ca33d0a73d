extension HTTPServer {
    /// Everything an operator or a test may tune; the defaults are those of DESIGN §4.
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; `start()` returns the one bound.
        public var port: Int
        public var backlog: Int32
        /// Request line, head, field count and default body limits.
        public var limits: HTTPParser.Limits
        /// From the first byte of a head to its end (408 and close beyond).
        public var headTimeout: Duration
        /// A keep-alive connection with no request in progress is closed after this long.
        public var idleTimeout: Duration
        /// Longest wait for the next bytes of a body (408 and close beyond).
        public var bodyTimeout: Duration
        /// Longest wait for a client to accept response bytes before the connection is dropped.
        public var writeTimeout: Duration
        /// How long to keep reading (and discarding) after an error response before closing, so
        /// the client receives the response instead of a reset.
        public var lingerTimeout: Duration
        public var compression: HTTPResponseWriter.Compression
        /// Bytes read per system call; kept small because every idle connection holds one.
        public var readBufferSize: Int
        /// Serve TLS (https and wss on the same port) with this certificate; nil serves plain HTTP.
        public var tls: TLSServerIdentity? = nil
        /// A client that has not completed the TLS handshake by then is closed.
        public var tlsHandshakeTimeout: Duration = .seconds(10)
        /// Told about each failed TLS handshake (peer, reason), e.g. to log it.
        public var onTLSHandshakeFailure: (@Sendable (String, TLSError) -> Void)? = nil
        /// Most connections open at once (HTTP and upgraded alike). Past it a new connection is
        /// answered 503 and closed at once, so a flood costs a file descriptor for a moment, never
        /// a slot that existing users need.
        public var maxConnections = 10_000
        /// Most connections open at once from one client IP address (503 past it), so one host
        /// cannot take every slot. Generous because a NAT or proxy puts many users behind one
        /// address and `tmi-loadtest` opens ~1,000 from 127.0.0.1.
        public var maxConnectionsPerIP = 2_000
        /// I/O loops (threads running epoll) the connections are spread over; nil takes
        /// `IOLoops.defaultCount` (`TMI_IO_THREADS`, else one per core).
        public var ioThreads: Int? = nil
        /// How many times a loop with nothing to do polls again, yielding its core, before it
        /// sleeps (`IdlePolling`; 0: sleep at once). nil keeps the loops' setting
        /// (`TMI_IO_IDLE_POLLS`, else 32). Loops are shared by the process, so the last server
        /// started sets it.
        public var idlePolls: Int? = nil

        public init(
            host: String = "127.0.0.1", port: Int = 8080, backlog: Int32 = 1024,
            limits: HTTPParser.Limits = HTTPParser.Limits(), headTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60), bodyTimeout: Duration = .seconds(30),
            writeTimeout: Duration = .seconds(30), lingerTimeout: Duration = .seconds(2),
            compression: HTTPResponseWriter.Compression = HTTPResponseWriter.Compression(),
            readBufferSize: Int = 4096
        ) {
            self.host = host
            self.port = port
            self.backlog = backlog
            self.limits = limits
            self.headTimeout = headTimeout
            self.idleTimeout = idleTimeout
            self.bodyTimeout = bodyTimeout
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
            self.compression = compression
            self.readBufferSize = readBufferSize
        }
    }
}
