import CollabCore
import Testing

@testable import SessionActors

/// diagram_operation through the session: broadcast and ack, authorization, rejections, durability.
@Suite struct DiagramSessionOperationTests {
    typealias S = SessionFixture

    @Test func acceptedOperationIsBroadcastOnceEncodedToEveryoneIncludingSender() async {
        let persistence = RecordingSessionPersistence()
        let session = S.make(persistence: persistence)
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        await session.receive(
            S.operation("op1", by: S.alice, base: 0, [.add(S.node("n1", label: "x"))]), from: "alice-id")
        #expect(a.sent.count == 1 && b.sent.count == 1)
        #expect(a.sent[0] === b.sent[0])  // the same encoded bytes
        let m = a.messages[0]
        #expect(m["message_type"] == "diagram_operation" && m["operation_id"] == "op1")
        #expect(m["update_vector"] == 1 && m["sequence_number"] == 1)
        #expect(m["initiating_user"]?["user_id"] == "alice-id")
        #expect(m["operation"]?["cells"]?.arrayValue?.first?["data"] == S.node("n1", label: "x"))
        #expect(persistence.records.map(\.revision) == [1])
        #expect(persistence.records.first?.upserts == [S.node("n1", label: "x")])
        #expect(persistence.records.first?.removals == [])
        #expect(await session.state["n1"] != nil)
    }

    @Test func readerWriteIsDeniedAndImpersonationRefused() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob, .reader)
        _ = (a.take(), b.take())
        await session.receive(S.operation("r1", [.add(S.node("n"))]), from: "bob-id")
        let denied = b.take()
        #expect(denied.first?["message_type"] == "authorization_denied")
        #expect(
            denied.first?["original_operation_id"] == "r1"
                && denied.first?["reason"] == "insufficient_permissions")
        await session.receive(S.operation("w1", by: S.bob, [.add(S.node("n"))]), from: "alice-id")
        #expect(a.take().first?["reason"] == "invalid_user")
        #expect(await session.state.isEmpty)
        await session.receive(S.text(["message_type": "undo_request"]), from: "bob-id")
        #expect(b.take().first?["code"] == "insufficient_permissions")
    }

    @Test func rejectionsGoToTheSenderOnly() async {
        let session = S.make(cells: [S.node("a")])
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        let edge: JSONValue = [
            "id": "e", "shape": "edge", "source": ["cell": "a"], "target": ["cell": "gone"],
        ]
        await session.receive(S.operation("e1", [.add(edge)]), from: "alice-id")
        let got = a.take()
        #expect(got.map { $0["message_type"]?.stringValue } == ["operation_rejected", "state_correction"])
        #expect(got[0]["reason"] == "conflict_detected" && got[1]["update_vector"] == 0)
        #expect(b.take().isEmpty)
        // A malformed operation still names its id, so it is rejected rather than an error.
        let empty: JSONValue = [
            "message_type": "diagram_operation", "operation_id": "bad",
            "operation": ["type": "patch", "cells": []],
        ]
        await session.receive(S.text(empty), from: "alice-id")
        let r = a.take().first
        #expect(r?["message_type"] == "operation_rejected" && r?["reason"] == "empty_operation")
        await session.receive(Array("not json".utf8), from: "alice-id")
        #expect(a.take().first?["code"] == "invalid_json")
        await session.receive(S.text(["message_type": "nonsense"]), from: "alice-id")
        #expect(a.take().first?["code"] == "unknown_message_type")
    }

    @Test func oversizedMessageGetsAClearError() async {
        let session = S.make(configuration: SessionConfiguration(maxMessageBytes: 100))
        let a = await S.join(session, S.alice)
        _ = a.take()
        await session.receive(
            S.operation("big", [.add(S.node("n", label: String(repeating: "x", count: 200)))]),
            from: "alice-id")
        #expect(a.take().first?["error"] == "message_too_large")
        #expect(await session.state.isEmpty)
    }

    @Test func duplicateIsAnsweredToTheSenderOnly() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        let op = S.operation("dup", [.add(S.node("n"))])
        await session.receive(op, from: "alice-id")
        let original = a.take()
        _ = b.take()
        await session.receive(op, from: "alice-id")
        #expect(a.take() == original)
        #expect(b.take().isEmpty)
        #expect(await session.state.revision == 1)
    }

    @Test func staleBaseGetsRejectionThenStateSync() async {
        var config = SessionConfiguration(engine: .init(logCapacity: 2))
        config.logEntriesPerParticipant = 0  // the window this test is about stays 2
        let session = S.make(cells: [S.node("n")], configuration: config)
        let a = await S.join(session, S.alice)
        for i in 1...3 {
            await session.receive(
                S.operation("m\(i)", [.update("n", ["x": .number(Double(i))])]), from: "alice-id")
        }
        _ = a.take()
        await session.receive(S.operation("late", base: 0, [.update("n", ["y": 5])]), from: "alice-id")
        let got = a.take()
        #expect(got.map { $0["message_type"]?.stringValue } == ["operation_rejected", "diagram_state_sync"])
        #expect(got[0]["requires_resync"] == true && got[1]["update_vector"] == 3)
    }

    @Test func resyncRequestAnswersWithResponseAndState() async {
        let session = S.make(cells: [S.node("n")])
        let a = await S.join(session, S.alice, .reader)
        _ = a.take()
        await session.receive(S.text(["message_type": "resync_request"]), from: "alice-id")
        let got = a.take()
        #expect(got.first?["method"] == "rest_api" && got.first?["threat_model_id"] == "tm1")
        #expect(got.last?["cells"]?.arrayValue?.count == 1)
    }

    @Test func undoAndRedoBecomeBroadcastOperations() async {
        let session = S.make(cells: [S.node("n", x: 0)])
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        await session.receive(S.operation("mv", [.update("n", ["x": 50])]), from: "alice-id")
        _ = (a.take(), b.take())
        await session.receive(
            S.text(["message_type": "undo_request", "initiating_user": ["user_id": "alice-id"]]),
            from: "alice-id")
        #expect(a.takeTypes() == ["diagram_operation", "history_operation"])
        let undo = b.take()
        #expect(undo.count == 1 && undo[0]["operation_id"] == "server-op-1")
        #expect(await session.state["n"]?["x"] == 0)
        await session.receive(S.text(["message_type": "undo_request"]), from: "bob-id")
        #expect(b.take().first?["message"] == "no_operations_to_undo")
        await session.receive(S.text(["message_type": "redo_request"]), from: "alice-id")
        #expect(await session.state["n"]?["x"] == 50)
    }

    @Test func broadcastWaitsForDurability() async {
        let persistence = GatedPersistence()
        let session = S.make(persistence: persistence)
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        let sending = Task { await session.receive(S.operation("op", [.add(S.node("n"))]), from: "alice-id") }
        var arrivals = persistence.arrivals.makeAsyncIterator()
        #expect(await arrivals.next() == 1)
        // Applied but not durable: nobody is acknowledged, and a joiner's state sync waits behind it.
        #expect(await session.state.revision == 1)
        let c = await S.join(session, S.carol)
        #expect(a.sent.isEmpty && b.sent.isEmpty && c.sent.isEmpty)
        persistence.releaseAll()
        await sending.value
        #expect(a.takeTypes().first == "diagram_operation")
        #expect(c.takeTypes() == ["diagram_state_sync", "current_presenter", "participants_update"])
    }

    @Test func broadcastsStayInRevisionOrderWhenAppendsFinishOutOfOrder() async {
        let persistence = GatedPersistence()
        let session = S.make(cells: [S.node("n")], persistence: persistence)
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        var arrivals = persistence.arrivals.makeAsyncIterator()
        let first = Task {
            await session.receive(S.operation("a1", [.update("n", ["x": 1])]), from: "alice-id")
        }
        #expect(await arrivals.next() == 1)
        let second = Task {
            await session.receive(S.operation("b1", [.update("n", ["y": 2])]), from: "bob-id")
        }
        #expect(await arrivals.next() == 2)
        persistence.release { $0 == 2 }
        await second.value
        #expect(a.sent.isEmpty && b.sent.isEmpty)  // revision 2 is durable, but 1 is not yet
        persistence.release { $0 == 1 }
        await first.value
        for o in [a, b] {
            #expect(o.messages.map { $0["update_vector"]?.doubleValue } == [1, 2])
        }
    }

    @Test func persistenceFailureEndsTheSessionWithoutAcknowledging() async {
        let persistence = RecordingSessionPersistence()
        persistence.failAppends(true)
        let session = S.make(persistence: persistence)
        let a = await S.join(session, S.alice)
        _ = a.take()
        await session.receive(S.operation("op", [.add(S.node("n"))]), from: "alice-id")
        #expect(a.takeTypes() == ["error"])
        #expect(a.closed == .sessionEnded(.persistenceFailed))
        #expect(session.isEnded)
    }

    @Test func everyUserFieldMustNameTheSender() async {
        let session = S.make(cells: [S.node("n")])
        let a = await S.join(session, S.alice)
        await S.join(session, S.bob)
        await session.receive(S.operation("mv", [.update("n", ["x": 5])]), from: "alice-id")
        _ = a.take()
        for type in ["undo_request", "redo_request"] {
            await session.receive(
                S.text(["message_type": .string(type), "initiating_user": ["user_id": "bob-id"]]),
                from: "alice-id")
            #expect(a.take().first?["code"] == "invalid_user")
        }
        let change: JSONValue = [
            "message_type": "change_presenter", "initiating_user": ["email": "bob@test.tmi"],
            "new_presenter": ["user_id": "bob-id"],
        ]
        await session.receive(S.text(change), from: "alice-id")
        #expect(a.take().first?["code"] == "invalid_user")
        #expect(await session.summary.presenter?.userID == "alice-id")
        #expect(await session.state["n"]?["x"] == 5)
    }

    @Test func snapshotsAreHandedOffEveryNOperations() async {
        let persistence = RecordingSessionPersistence()
        let session = S.make(
            cells: [S.node("n")], configuration: SessionConfiguration(snapshotEvery: 2),
            persistence: persistence)
        await S.join(session, S.alice)
        for i in 1...5 {
            await session.receive(
                S.operation("m\(i)", [.update("n", ["x": .number(Double(i))])]), from: "alice-id")
        }
        #expect(persistence.snapshots.map(\.state.revision) == [2, 4])
        #expect(persistence.snapshots.last?.state["n"]?["x"] == 4)
        #expect(persistence.records.map(\.revision) == [1, 2, 3, 4, 5])
    }

    @Test func restWritesGoThroughTheSession() async {
        let session = S.make()
        let a = await S.join(session, S.alice, .reader)
        _ = a.take()
        let outcome = await session.applyServerOperation([.add(S.node("n"))], by: S.bob)
        #expect(outcome.isAccepted)
        #expect(a.take().first?["initiating_user"]?["user_id"] == "bob-id")
    }
}

extension SubmitOutcome {
    var isAccepted: Bool {
        if case .accepted = self { return true }
        return false
    }
}
