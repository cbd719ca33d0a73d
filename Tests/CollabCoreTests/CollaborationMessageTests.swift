import Testing

@testable import CollabCore

/// Decoding and encoding the catalogue's messages (DESIGN §6 wire form).
@Suite struct CollaborationMessageTests {
    @Test func decodesTheDesignWireForm() throws {
        let text = """
            {"message_type":"diagram_operation","initiating_user":{"user_id":"u1","email":"alice@test.tmi"},
             "operation_id":"op-1","base_vector":41,
             "operation":{"type":"patch","cells":[
               {"id":"c1","operation":"update","data":{"id":"c1","shape":"process","x":1}},
               {"id":"c2","operation":"remove"},
               {"id":"c3","operation":"add","data":{"shape":"actor","x":2}}]}}
            """
        guard case .diagramOperation(let m) = try ClientMessage.decode(Array(text.utf8)) else {
            Issue.record("not a diagram_operation")
            return
        }
        #expect(m.operationID == "op-1" && m.baseVector == 41)
        #expect(m.initiatingUser == UserClaim(userID: "u1", email: "alice@test.tmi"))
        #expect(m.cells.map(\.kind) == [.update, .remove, .add])
        #expect(m.cells[2].data?["shape"] == "actor")
    }

    @Test func serverCopyRoundTrips() throws {
        let m = DiagramOperationMessage(
            operationID: "op", initiatingUser: UserClaim(Fixture.alice), sequenceNumber: 42, updateVector: 42,
            cells: [.add(Fixture.node("n")), .remove("m")])
        let back = try DiagramOperationMessage(json: JSONValue.parse(m.encoded()))
        #expect(back == m)
    }

    @Test(arguments: [
        (
            #"{"message_type":"diagram_operation","operation_id":"x","operation":{"type":"patch","cells":[]}}"#,
            CollabMessageError.emptyOperation
        ),
        (
            #"{"message_type":"diagram_operation","operation_id":"x","operation":{"type":"json","cells":[]}}"#,
            .invalidOperationType("json")
        ),
        (
            #"{"message_type":"diagram_operation","operation_id":"x","operation":{"type":"patch","cells":[{"id":"a","operation":"move"}]}}"#,
            .invalidOperationType("move")
        ),
        (
            #"{"message_type":"diagram_operation","operation_id":"x","operation":{"type":"patch","cells":[{"id":"a","operation":"add","data":{"id":"b"}}]}}"#,
            .invalidField("operation.cells[0].data.id", "must match the operation's id 'a'")
        ),
        (
            #"{"message_type":"diagram_operation","operation_id":"x","base_vector":-1,"operation":{"type":"patch","cells":[{"id":"a","operation":"remove"}]}}"#,
            .invalidField("base_vector", "must be a non-negative integer")
        ),
        (#"{"message_type":"current_presenter"}"#, .unknownMessageType("current_presenter")),
        (
            #"{"message_type":"presenter_cursor","cursor_position":{"x":"1"}}"#,
            .invalidField("cursor_position", "must be {x, y} numbers")
        ),
        (#"[1]"#, .notJSON("not an object")),
        (#"{"#, .notJSON("invalid JSON")),
    ])
    func rejectsMalformedMessages(text: String, expected: CollabMessageError) {
        #expect(throws: expected) { try ClientMessage.decode(Array(text.utf8)) }
    }

    @Test func decodesPresenceAndHistoryMessages() throws {
        func decode(_ s: String) throws -> ClientMessage { try ClientMessage.decode(Array(s.utf8)) }
        #expect(
            try decode(#"{"message_type":"presenter_cursor","cursor_position":{"x":1,"y":2.5}}"#)
                == .presenterCursor(x: 1, y: 2.5))
        #expect(
            try decode(#"{"message_type":"presenter_selection","selected_cells":["a","b"]}"#)
                == .presenterSelection(cells: ["a", "b"]))
        #expect(
            try decode(#"{"message_type":"undo_request","initiating_user":{"email":"a@b"}}"#)
                == .undoRequest(initiatingUser: UserClaim(email: "a@b")))
        #expect(
            try decode(#"{"message_type":"remove_participant","removed_user":{"user_id":"x"}}"#)
                == .removeParticipant(initiatingUser: nil, removedUser: UserClaim(userID: "x")))
        #expect(try decode(#"{"message_type":"resync_request"}"#) == .resyncRequest)
    }

    @Test func userClaimMatching() {
        let alice = Fixture.alice
        #expect(UserClaim(userID: "alice-id").matches(alice))
        #expect(UserClaim(userID: "ALICE@test.tmi").matches(alice))
        #expect(UserClaim(email: "Alice@Test.tmi", displayName: "anything").matches(alice))
        #expect(!UserClaim(userID: "alice-id", email: "bob@test.tmi").matches(alice))
        #expect(!UserClaim().matches(alice))
    }

    @Test func serverMessagesCarryRequiredFields() throws {
        let rejected = ServerMessage.operationRejected(
            operationID: "o", rejection: OperationRejection(.conflictDetected, "m", affectedCells: ["c"]),
            timestamp: "2024-01-15T14:30:00Z")
        let json = try JSONValue.parse(rejected.encoded())
        #expect(json["message_type"] == "operation_rejected" && json["reason"] == "conflict_detected")
        #expect(json["requires_resync"] == false && json["affected_cells"] == ["c"])
        let update = ServerMessage.participantsUpdate(
            [ParticipantSummary(user: Fixture.carol, role: .reader, lastActivity: "t")], host: "h",
            currentPresenter: "")
        let u = try JSONValue.parse(update.encoded())
        #expect(u["participants"]?.arrayValue?.first?["user"]?["name"] == "carol@test.tmi")
        #expect(u["current_presenter"] == "")
    }
}
