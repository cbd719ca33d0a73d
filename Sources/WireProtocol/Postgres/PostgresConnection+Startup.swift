import Glibc

extension PostgresConnection {
    /// Connects, authenticates and waits for the first ReadyForQuery ("Start-up" in the
    /// protocol chapter), all within `connectTimeout`. The session parameters fix what the
    /// text decoders rely on: UTF-8, ISO dates in UTC, hex bytea, exact floats.
    static func open(
        _ configuration: PostgresConfiguration, tls: TLSContext?,
        onClose: @escaping @Sendable (PostgresConnection) -> Void
    ) async throws(PostgresError) -> PostgresConnection {
        let deadline = IODeadline.after(configuration.connectTimeout)
        let tcp = try await dial(host: configuration.host, port: configuration.port, deadline: deadline)
        let transport: any ConnectionTransport
        if let tls, configuration.tlsMode != .disable {
            transport = try await negotiateTLS(tcp, configuration, tls, deadline: deadline)
        } else {
            transport = tcp
        }
        do {
            let (decoder, key) = try await startup(transport, configuration, deadline: deadline)
            let connection = PostgresConnection(
                transport: transport, configuration: configuration, backendKey: key, onClose: onClose)
            connection.start(decoder: decoder)
            return connection
        } catch {
            transport.close()
            throw error
        }
    }

    /// SSLRequest, then a TLS handshake over the same socket ("SSL Session Encryption"). The
    /// answer is read one byte exactly, so nothing the server sent in plaintext after it can
    /// be mistaken for part of the encrypted stream.
    private static func negotiateTLS(
        _ tcp: TCPConnection, _ configuration: PostgresConfiguration, _ context: TLSContext,
        deadline: IODeadline
    ) async throws(PostgresError) -> TLSConnection {
        let where_ = "\(configuration.host):\(configuration.port)"
        var request: [UInt8] = []
        PostgresFrontend.sslRequest(into: &request)
        var answer: [UInt8] = [0]
        do {
            try await tcp.write(request, deadline: deadline)
            guard try await tcp.read(into: &answer, deadline: deadline) == 1 else {
                tcp.close()
                throw PostgresError.connectionFailed(
                    "\(where_): the server closed the connection at SSLRequest")
            }
        } catch let error as StreamError {
            tcp.close()
            throw .connectionFailed("\(where_): \(error.clientDescription) at SSLRequest")
        } catch let error as PostgresError {
            throw error
        } catch {
            tcp.close()
            throw .connectionFailed("\(where_): \(error)")
        }
        switch answer[0] {
        case UInt8(ascii: "S"):
            do {
                return try await TLSConnection.connect(
                    tcp, context: context, serverName: configuration.host, deadline: deadline)
            } catch {
                throw .connectionFailed("\(where_): \(error.description)")
            }
        case UInt8(ascii: "N"):
            tcp.close()
            throw .connectionFailed(
                "\(where_): the server does not accept TLS (sslmode=\(configuration.tlsMode.rawValue))")
        default:
            tcp.close()
            throw .protocolViolation("answer \(answer[0]) to SSLRequest")
        }
    }

    /// The client TLS context for a configuration: `require` encrypts without verifying (as
    /// libpq's `sslmode=require`), `verify-full` checks the chain and the host name.
    static func tlsContext(for configuration: PostgresConfiguration) throws(PostgresError) -> TLSContext? {
        var tls: TLSClientConfiguration
        switch configuration.tlsMode {
        case .disable: return nil
        case .require:
            tls = TLSClientConfiguration(trustsSystemRoots: false)
            tls.verifiesPeer = false
        case .verifyFull:
            let root = configuration.tlsRootCertificateFile
            tls = TLSClientConfiguration(trustsSystemRoots: root == nil, additionalCAFile: root)
        }
        tls.applicationProtocols = ["postgresql"]
        do {
            return try TLSContext.client(tls)
        } catch {
            throw .invalidConfiguration(error.description)
        }
    }

    private static func startup(
        _ transport: any ConnectionTransport, _ configuration: PostgresConfiguration, deadline: IODeadline
    ) async throws(PostgresError) -> (PostgresMessageDecoder, (processID: Int32, secretKey: Int32)?) {
        let where_ = "\(configuration.host):\(configuration.port)"
        func send(_ bytes: [UInt8]) async throws(PostgresError) {
            do {
                try await transport.write(bytes, deadline: deadline)
            } catch {
                throw .connectionFailed("\(where_): \(error.clientDescription) during startup")
            }
        }
        var out: [UInt8] = []
        PostgresFrontend.startup(
            parameters: [
                ("user", configuration.user), ("database", configuration.database),
                ("application_name", configuration.applicationName), ("client_encoding", "UTF8"),
                ("DateStyle", "ISO"), ("TimeZone", "UTC"), ("bytea_output", "hex"),
                ("extra_float_digits", "3"),
            ], into: &out)
        try await send(out)

        var decoder = PostgresMessageDecoder(maxMessageSize: configuration.maxMessageSize)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var scram: PostgresSCRAM?
        var key: (processID: Int32, secretKey: Int32)?
        func password() throws(PostgresError) -> String {
            guard let password = configuration.password else {
                throw .authentication("the server asks for a password and the URL has none")
            }
            return password
        }
        while true {
            let message: PostgresBackendMessage?
            do {
                message = try decoder.next()
            } catch {
                throw .protocolViolation(error.description)
            }
            guard let message else {
                let count: Int
                do {
                    count = try await transport.read(into: &buffer, deadline: deadline)
                } catch {
                    throw .connectionFailed("\(where_): \(error.clientDescription) during startup")
                }
                guard count > 0 else {
                    throw .connectionFailed("\(where_): the server closed the connection during startup")
                }
                decoder.feed(buffer[0..<count])
                continue
            }
            out = []
            switch message {
            case .authentication(.ok): continue
            case .authentication(.cleartextPassword):
                PostgresFrontend.password(try password(), into: &out)
            case .authentication(.md5Password(let salt)):
                let answer = try PostgresCrypto.md5Password(
                    user: configuration.user, password: try password(), salt: salt)
                PostgresFrontend.password(answer, into: &out)
            case .authentication(.sasl(let mechanisms)):
                guard mechanisms.contains(PostgresSCRAM.mechanism) else {
                    throw .unsupported("SASL mechanisms \(mechanisms) (only SCRAM-SHA-256)")
                }
                let exchange = try PostgresSCRAM(password: try password())
                scram = exchange
                PostgresFrontend.saslInitialResponse(
                    mechanism: PostgresSCRAM.mechanism, data: exchange.clientFirstMessage, into: &out)
            case .authentication(.saslContinue(let data)):
                guard var exchange = scram else {
                    throw .protocolViolation("SASL continue without SASL start")
                }
                PostgresFrontend.saslResponse(try exchange.clientFinalMessage(serverFirst: data), into: &out)
                scram = exchange
            case .authentication(.saslFinal(let data)):
                guard let exchange = scram else { throw .protocolViolation("SASL final without SASL start") }
                try exchange.verify(serverFinal: data)
                continue
            case .authentication(let other):
                throw .unsupported(
                    "authentication method \(other) (use scram-sha-256, md5, password or trust)")
            case .backendKeyData(let processID, let secretKey):
                key = (processID, secretKey)
                continue
            case .parameterStatus, .noticeResponse, .negotiateProtocolVersion: continue
            case .errorResponse(let fields):
                let error = PostgresServerError(fields)
                // Class 28: invalid authorization specification (28P01 wrong password, 28000
                // no pg_hba entry or unknown role). The server's message names the user only.
                if error.sqlState.hasPrefix("28") { throw .authentication(error.message) }
                throw .server(error)
            case .readyForQuery:
                return (decoder, key)
            default:
                throw .protocolViolation("unexpected \(message) during startup")
            }
            try await send(out)
        }
    }
}
