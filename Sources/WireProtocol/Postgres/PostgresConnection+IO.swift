extension PostgresConnection {
    /// Decodes responses and completes requests in order.
    func readLoop(decoder initial: PostgresMessageDecoder) async {
        var decoder = initial
        var response = ResponseAccumulator()
        await readLoop(feed: { decoder.feed($0) }) { () -> PostgresError? in
            do throws(PostgresProtocolError) {
                while let message = try decoder.next() {
                    if let error = handle(message, &response) { return error }
                }
                return nil
            } catch {
                return .protocolViolation(error.description)
            }
        }
    }

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
            s.session.transactionStatus = status
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
