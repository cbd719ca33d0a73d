import CollabCore
import Synchronization

@testable import SessionActors

/// An in-memory participant: records what the session sends and whether it closed it.
final class MemoryOutbox: ParticipantOutbox {
    private let box = Mutex<(sent: [SharedMessage], closed: OutboxCloseReason?)>(([], nil))

    func send(_ message: SharedMessage) { box.withLock { $0.sent.append(message) } }
    func close(_ reason: OutboxCloseReason) { box.withLock { $0.closed = $0.closed ?? reason } }

    var sent: [SharedMessage] { box.withLock { $0.sent } }
    var closed: OutboxCloseReason? { box.withLock { $0.closed } }
    var messages: [JSONValue] { sent.compactMap { try? JSONValue.parse($0.bytes) } }
    var types: [String] { sent.map(\.messageType) }

    /// Returns and forgets everything received so far.
    func take() -> [JSONValue] {
        let taken = box.withLock { state -> [SharedMessage] in
            defer { state.sent.removeAll() }
            return state.sent
        }
        return taken.compactMap { try? JSONValue.parse($0.bytes) }
    }

    func takeTypes() -> [String] { take().compactMap { $0["message_type"]?.stringValue } }
}

/// Time that moves only when a test says so.
final class ManualClock: Sendable {
    private let time = Mutex<Double>(1_700_000_000)
    func advance(by seconds: Double) { time.withLock { $0 += seconds } }
    var now: Double { time.withLock { $0 } }
    var clock: SessionClock { SessionClock { [self] in self.now } }
}

/// Persistence whose `append` waits until the test releases it, to observe what is held back.
final class GatedPersistence: SessionPersistence {
    private struct Waiting {
        var revision: Int64
        var continuation: CheckedContinuation<Void, Never>
    }

    private let waiting = Mutex<[Waiting]>([])
    let arrivals: AsyncStream<Int64>
    private let arrived: AsyncStream<Int64>.Continuation

    init() { (arrivals, arrived) = AsyncStream.makeStream() }

    func append(_ record: OperationRecord) async throws {
        await withCheckedContinuation { c in
            waiting.withLock { $0.append(Waiting(revision: record.revision, continuation: c)) }
            arrived.yield(record.revision)
        }
    }

    func snapshotAvailable(_ snapshot: DiagramSnapshot) {}

    func releaseAll() { release { _ in true } }

    /// Lets the appends of the chosen revisions complete.
    func release(_ chosen: (Int64) -> Bool) {
        let released = waiting.withLock { list -> [Waiting] in
            let picked = list.filter { chosen($0.revision) }
            list.removeAll { chosen($0.revision) }
            return picked
        }
        for w in released { w.continuation.resume() }
    }
}

enum SessionFixture {
    static let alice = CollabUser(userID: "alice-id", email: "alice@test.tmi", displayName: "Alice")
    static let bob = CollabUser(userID: "bob-id", email: "bob@test.tmi", displayName: "Bob")
    static let carol = CollabUser(userID: "carol-id", email: "carol@test.tmi", displayName: "Carol")

    /// A session over `cells`. Cell rules are off unless `validator` says otherwise, so tests of
    /// the session's behaviour can use short ids.
    static func make(
        cells: [JSONValue] = [], configuration: SessionConfiguration = .init(),
        persistence: any SessionPersistence = NoSessionPersistence(), clock: ManualClock = ManualClock(),
        validator: CellValidator = .none
    ) -> DiagramSession {
        var configuration = configuration
        configuration.cellValidator = validator
        let counter = Mutex(0)
        return DiagramSession(
            sessionID: "s1", threatModelID: "tm1", diagramID: "d1", state: DiagramState(cells: cells),
            host: nil,
            configuration: configuration, persistence: persistence, clock: clock.clock,
            makeOperationID: { "server-op-\(counter.withLock { $0 += 1; return $0 })" })
    }

    @discardableResult
    static func join(
        _ session: DiagramSession, _ user: CollabUser, _ role: CollabRole = .writer, connection: String? = nil
    ) async -> MemoryOutbox {
        let outbox = MemoryOutbox()
        _ = await session.join(
            ParticipantIdentity(connectionID: connection ?? user.userID, user: user, role: role),
            outbox: outbox)
        return outbox
    }

    static func node(_ id: String, x: Double = 0, label: String = "") -> JSONValue {
        [
            "id": .string(id), "shape": "process", "x": .number(x), "y": 0, "width": 80, "height": 40,
            "label": .string(label),
        ]
    }

    static func operation(
        _ id: String, by user: CollabUser? = nil, base: Int64? = nil, _ cells: [CellOperation]
    ) -> [UInt8] {
        DiagramOperationMessage(
            operationID: id, initiatingUser: user.map(UserClaim.init), baseVector: base, cells: cells
        )
        .encoded()
    }

    static func text(_ json: JSONValue) -> [UInt8] { json.serialized() }
}
