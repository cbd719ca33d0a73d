import CollabCore
import Foundation
import RESTGateway
import Testing
import WireProtocol

/// A participant that stops reading, on a live server (issue 15, docs/scale.md "Back-pressure per
/// participant"): once what waits for it passes the outbox bound the server drops it (the others
/// are told `participant_left`), and the others go on receiving every operation in order the
/// whole time. Nothing here is timed: the test follows the operations one by one.
@Suite struct SlowReaderEndToEndTests {
    static let alice = "alice@test.tmi"
    static let bob = "bob@test.tmi"
    static let silent = "silent@test.tmi"

    @Test func aParticipantThatStopsReadingIsDroppedWhileTheOthersKeepReceiving() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let auth: JSONValue = [
            ["subject": .string(Self.bob), "role": "writer"],
            ["subject": .string(Self.silent), "role": "reader"],
        ]
        let (tm, d) = try await server.makeDiagram(as: Self.alice, model: "Slow", authorization: auth)
        let a = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.alice)
        _ = try await a.next("diagram_state_sync")
        let b = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.bob)
        _ = try await b.next("diagram_state_sync")

        // The silent participant: a real handshake, then nothing reads its socket (its connection
        // is never run), so everything the server sends it piles up. It does not offer
        // permessage-deflate: the filler below compresses about a hundredfold, and with
        // compression a thousand updates stay far under the outbox bound: the test then passed
        // only on a loaded machine, where something other than that bound ended the reader.
        let stream = try await TCPConnection.connect(host: "127.0.0.1", port: server.port)
        defer { stream.close() }
        var plain = WebSocketConfiguration()
        plain.compression = nil
        _ = try await WebSocketClient.handshake(
            over: stream, host: "127.0.0.1:\(server.port)",
            path: "/threat_models/\(tm)/diagrams/\(d)/ws?token=tok:\(Self.silent)", configuration: plain)
        _ = try await b.next("participant_joined") { $0["joined_user"]?["email"] == .string(Self.silent) }

        let n = UUIDText.random()
        var node: JSONValue = [
            "id": .string(n), "shape": "process", "x": 0, "y": 0, "width": 80, "height": 40,
        ]
        let add = try a.operate(base: nil, [["id": .string(n), "operation": "add", "data": node]])
        _ = try await b.next("diagram_operation") { $0["operation_id"] == .string(add) }

        // Large updates until the server gives up on the silent reader: its outbox (4 MiB) and
        // the kernel's buffers fill after some tens of them. Bob receives each one, in order,
        // before the next is sent, however long the server takes to drop the silent one.
        let filler = String(repeating: "x", count: 120_000)
        var dropped = false
        var sent = 0
        var lastVector = 0.0
        while !dropped && sent < 1_000 {
            sent += 1
            // Labels are capped at 256 characters; an unknown property is kept as it is (cells
            // round-trip losslessly), so it carries the bulk.
            node["filler"] = .string("\(sent) \(filler)")
            let id = try a.operate(base: nil, [["id": .string(n), "operation": "update", "data": node]])
            while true {
                let m = try await b.nextMessage(seconds: 60)
                if m["message_type"] == "participant_left",
                    m["departed_user"]?["email"] == .string(Self.silent)
                {
                    dropped = true
                }
                guard m["message_type"] == "diagram_operation" else { continue }
                let vector = m["update_vector"]?.doubleValue ?? 0
                #expect(vector > lastVector)
                lastVector = vector
                if m["operation_id"] == .string(id) { break }
            }
        }
        #expect(dropped, "the silent participant was never dropped after \(sent) operations")

        // Alice, who read all along, is still in and still acknowledged; bob's next edit goes
        // through to her as well.
        var moved = node
        moved["x"] = 300
        let last = try b.operate(base: nil, [["id": .string(n), "operation": "update", "data": moved]])
        let seen = try await a.next("diagram_operation") { $0["operation_id"] == .string(last) }
        #expect(seen["operation"]?["cells"]?.arrayValue?.first?["data"]?["x"] == 300)
        _ = try await b.next("diagram_operation") { $0["operation_id"] == .string(last) }
        #expect(a.closeCode == nil)
        #expect(b.closeCode == nil)
    }
}
