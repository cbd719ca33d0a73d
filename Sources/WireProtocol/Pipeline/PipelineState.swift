/// The failures a pipelined connection reports itself, whatever protocol it speaks
/// (`RedisError`, `PostgresError`).
protocol PipelineFailure: Error, Equatable, Sendable {
    /// The connection was closed locally (`close()`), or a request came after that.
    static var closed: Self { get }
    /// The server or the network ended the connection.
    static var connectionClosed: Self { get }
    /// The caller's task was cancelled.
    static var cancelled: Self { get }
    /// The request's timeout passed.
    static var timedOut: Self { get }
    /// The server sent what the protocol does not allow; the connection is closed.
    static func protocolViolation(_ reason: String) -> Self
    /// The server could not be reached or the start-up exchange failed.
    static func connectionFailed(_ reason: String) -> Self
}

/// A request sent on a pipelined connection and not yet answered: its caller waits on
/// `continuation` (nil once the caller has given up and its answer is to be dropped).
protocol PipelinedRequest: Sendable {
    associatedtype Reply: Sendable
    associatedtype Failure: PipelineFailure
    var id: UInt64 { get }
    var continuation: CheckedContinuation<Result<Reply, Failure>, Never>? { get set }
}

/// The state Redis and PostgreSQL connections keep under their one lock: the bytes waiting for
/// the writer, the requests waiting for their answers in the order they were sent, and how the
/// connection ended. `Session` is what only one protocol keeps under the same lock (PostgreSQL:
/// its statement cache and transaction status).
struct PipelineState<Request: PipelinedRequest, Session> {
    typealias Failure = Request.Failure
    typealias Writer = CheckedContinuation<[UInt8]?, Never>

    var outbox: [UInt8] = []
    /// The writer task, parked until there is something to write.
    var writerWaiter: Writer?
    /// Requests in the order sent; those before `inFlightHead` are answered.
    var inFlight: [Request] = []
    var inFlightHead = 0
    var nextRequestID: UInt64 = 0
    var failure: Failure?
    var closing = false
    var session: Session

    init(session: Session) { self.session = session }

    var pendingCount: Int { inFlight.count - inFlightHead }

    var isClosingOrFailed: Bool { closing || failure != nil }

    /// Why a new request is refused (`.closed` after `close()`, `.connectionClosed` after a
    /// failure); nil while the connection takes requests.
    var refusal: Failure? {
        if let failure { return failure == .closed ? .closed : .connectionClosed }
        return closing ? .closed : nil
    }

    /// The request at the head, now answered. The array is compacted once the answered prefix
    /// is at least half of it, so a busy connection does not move it on every answer.
    mutating func popHead() -> Request? {
        guard inFlightHead < inFlight.count else { return nil }
        let head = inFlight[inFlightHead]
        inFlightHead += 1
        if inFlightHead == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            inFlightHead = 0
        } else if inFlightHead >= 64 && inFlightHead * 2 >= inFlight.count {
            inFlight.removeSubrange(0..<inFlightHead)
            inFlightHead = 0
        }
        return head
    }

    func index(of id: UInt64) -> Int? {
        inFlight[inFlightHead...].firstIndex { $0.id == id }
    }

    /// Queues a request (its bytes are already in the outbox) under a new id.
    mutating func append(_ make: (UInt64) -> Request) -> UInt64 {
        nextRequestID &+= 1
        inFlight.append(make(nextRequestID))
        return nextRequestID
    }

    /// The parked writer and everything queued for it, when it is parked; resume it outside the
    /// lock.
    mutating func wakeWriter() -> (writer: Writer, bytes: [UInt8])? {
        guard let writer = writerWaiter else { return nil }
        writerWaiter = nil
        defer { outbox = [] }
        return (writer, outbox)
    }

    /// Records the failure and takes every unanswered request and the parked writer, to be
    /// resumed outside the lock; nil when the connection had failed already.
    mutating func takeForFailure(_ error: Failure) -> (pending: [Request], writer: Writer?)? {
        guard failure == nil else { return nil }
        failure = error
        let pending = Array(inFlight[inFlightHead...])
        inFlight = []
        inFlightHead = 0
        outbox = []
        defer { writerWaiter = nil }
        return (pending, writerWaiter)
    }
}
