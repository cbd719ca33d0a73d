import CollabCore
import Testing

@testable import LoadTestKit

@Suite struct WireMessagesTests {
    static let user = UserRef(userID: "u1", email: "a@test.tmi")

    @Test func operationHasTheDesignWireForm() throws {
        let cell: JSONValue = ["id": "c1", "shape": "process", "x": 1]
        let json = try JSONValue.parse(
            EditorMessage.operation(
                id: "op", baseVector: 41, cells: [.update(cell), .remove("c2")], user: Self.user
            ).text)
        #expect(json["message_type"] == "diagram_operation")
        #expect(json["operation_id"] == "op" && json["base_vector"] == 41)
        #expect(json["initiating_user"] == ["user_id": "u1", "email": "a@test.tmi"])
        #expect(json["operation"]?["type"] == "patch")
        #expect(
            json["operation"]?["cells"] == [
                ["id": "c1", "operation": "update", "data": cell], ["id": "c2", "operation": "remove"],
            ])
    }

    @Test func otherEditorMessages() {
        #expect(EditorMessage.undo(user: Self.user).json["message_type"] == "undo_request")
        #expect(EditorMessage.cursor(x: 3, y: 4).json["cursor_position"] == ["x": 3, "y": 4])
        #expect(EditorMessage.presenterRequest.json == ["message_type": "presenter_request"])
        #expect(EditorMessage.resyncRequest.json == ["message_type": "resync_request"])
    }

    @Test func parsesSessionMessages() {
        let op = SessionMessage.parse(
            text:
                #"{"message_type":"diagram_operation","operation_id":"x","update_vector":42,"sequence_number":42,"initiating_user":{"user_id":"u"},"operation":{"type":"patch","cells":[{"id":"c","operation":"remove"}]}}"#
        )
        #expect(
            op
                == .operation(
                    operationID: "x", updateVector: 42, user: ["user_id": "u"], cells: [.remove("c")]))
        #expect(
            SessionMessage.parse(
                text:
                    #"{"message_type":"operation_rejected","operation_id":"x","reason":"conflict_detected"}"#)
                == .rejected(operationID: "x", reason: "conflict_detected"))
        // A base older than the session's history is counted apart from a plain conflict.
        #expect(
            SessionMessage.parse(
                text:
                    #"{"message_type":"operation_rejected","operation_id":"x","reason":"conflict_detected","requires_resync":true}"#
            ) == .rejected(operationID: "x", reason: "conflict_detected+resync"))
        #expect(
            SessionMessage.parse(
                text: #"{"message_type":"diagram_state_sync","cells":[{"id":"a"}],"update_vector":null}"#)
                == .stateSync(cells: [["id": "a"]], updateVector: nil))
        #expect(
            SessionMessage.parse(text: #"{"message_type":"state_correction","update_vector":3}"#)
                == .stateCorrection(updateVector: 3))
        #expect(
            SessionMessage.parse(text: #"{"message_type":"participants_update"}"#)
                == .other(type: "participants_update"))
        #expect(
            SessionMessage.parse(
                text:
                    #"{"message_type":"diagram_operation","operation":{"cells":[{"id":"c","operation":"bogus"}]}}"#
            ) == nil)
        #expect(
            SessionMessage.parse(
                text: #"{"message_type":"current_presenter","current_presenter":{"user_id":"u"}}"#)
                == .currentPresenter(["user_id": "u"]))
        #expect(
            SessionMessage.parse(
                text: #"{"message_type":"authorization_denied","operation_id":"o","reason":"r"}"#)
                == .authorizationDenied(operationID: "o", reason: "r"))
        #expect(SessionMessage.parse(text: "not json") == nil)
        #expect(SessionMessage.parse(text: #"{"no_type":1}"#) == nil)
    }

    @Test func userMatchingPrefersIDThenEmail() {
        #expect(Self.user.matches(["user_id": "u1"]))
        #expect(!Self.user.matches(["user_id": "u2", "email": "a@test.tmi"]))
        #expect(Self.user.matches(["email": "A@TEST.tmi"]))
        #expect(!Self.user.matches(nil))
    }
}
