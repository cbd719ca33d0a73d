extension PostgresConnection {
    /// Drains the outbox: each write carries everything queued since the previous one began.
    func writeLoop() async {
        while true {
            let bytes: [UInt8]? = await withCheckedContinuation { continuation in
                state.withLock { s in
                    if s.failure != nil {
                        continuation.resume(returning: nil)
                    } else if !s.outbox.isEmpty {
                        let bytes = s.outbox
                        s.outbox = []
                        continuation.resume(returning: bytes)
                    } else if s.closing {
                        continuation.resume(returning: nil)
                    } else {
                        s.writerWaiter = continuation
                    }
                }
            }
            guard let bytes else {
                if state.withLock({ $0.closing }) { fail(.closed) }
                return
            }
            do {
                try await transport.write(bytes, deadline: nil)
            } catch {
                fail(.connectionClosed)
                return
            }
        }
    }

    /// Decodes responses and completes requests in order.
    func readLoop(decoder initial: PostgresMessageDecoder) async {
        var decoder = initial
        var response = ResponseAccumulator()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                while let message = try decoder.next() {
                    if let error = handle(message, &response) {
                        fail(error)
                        return
                    }
                }
            } catch {
                fail(.protocolViolation(error.description))
                return
            }
            let count: Int
            do {
                count = try await transport.read(into: &buffer, deadline: nil)
            } catch {
                fail(isClosingOrFailed ? .closed : .connectionClosed)
                return
            }
            if count == 0 {
                fail(isClosingOrFailed ? .closed : .connectionClosed)
                return
            }
            decoder.feed(buffer[0..<count])
        }
    }

    private var isClosingOrFailed: Bool { state.withLock { $0.closing || $0.failure != nil } }

    /// Applies one message to the response of the request at the head; a returned error closes
    /// the connection.
    private func handle(_ message: PostgresBackendMessage, _ r: inout ResponseAccumulator) -> PostgresError? {
        switch message {
        case .parseComplete: r.parseCompletes += 1
        case .bindComplete, .closeComplete, .parameterDescription: break
        case .rowDescription(let columns):
            r.columns = columns
            r.rows = []
        case .noData:
            r.columns = []
            r.rows = []
        case .dataRow(let raw):
            guard raw.count == r.columns.count else {
                return .protocolViolation("a row of \(raw.count) values for \(r.columns.count) columns")
            }
            var values: [PostgresValue] = []
            values.reserveCapacity(raw.count)
            for (column, bytes) in zip(r.columns, raw) {
                values.append(PostgresValue(typeOID: column.typeOID, text: bytes))
            }
            r.rows.append(PostgresRow(columns: r.columns, values: values))
        case .commandComplete(let tag): r.finishStatement(tag: tag)
        case .emptyQueryResponse, .portalSuspended: r.finishStatement(tag: "")
        case .errorResponse(let fields):
            let error = PostgresServerError(fields)
            if error.severity == "FATAL" || error.severity == "PANIC" { return .server(error) }
            if r.error == nil { r.error = error }
        case .noticeResponse, .notification, .parameterStatus, .negotiateProtocolVersion: break
        case .readyForQuery(let status):
            complete(status: status, response: r)
            r = ResponseAccumulator()
        case .copyResponse, .copyData, .copyDone:
            return .unsupported("COPY")
        case .authentication, .backendKeyData, .functionCallResponse:
            return .protocolViolation("unexpected \(message) after startup")
        }
        return nil
    }

    private func complete(status: PostgresTransactionStatus, response r: ResponseAccumulator) {
        let (head, nextNeedsCancel) = state.withLock { s -> (InFlight?, Bool) in
            s.transactionStatus = status
            let head = s.popHead()
            guard s.inFlightHead < s.inFlight.count else { return (head, false) }
            let next = s.inFlight[s.inFlightHead]
            guard next.cancelReason != nil, !next.cancelSent else { return (head, false) }
            s.inFlight[s.inFlightHead].cancelSent = true
            return (head, true)
        }
        if nextNeedsCancel { sendCancelRequest() }
        guard let head else { return }
        if r.error != nil, r.parseCompletes < head.parsedNames.count {
            forgetStatements(head.parsedNames[r.parseCompletes...])
        }
        if let error = r.error {
            head.continuation?.resume(returning: .failure(.server(error)))
        } else {
            head.continuation?.resume(returning: .success(r.results))
        }
    }
}

/// The response being read for the request at the head of the queue.
struct ResponseAccumulator {
    var results: [PostgresQueryResult] = []
    var columns: [PostgresColumn] = []
    var rows: [PostgresRow] = []
    var error: PostgresServerError?
    var parseCompletes = 0

    mutating func finishStatement(tag: String) {
        results.append(PostgresQueryResult(columns: columns, rows: rows, commandTag: tag))
        columns = []
        rows = []
    }
}
