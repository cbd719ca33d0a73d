import Testing

import enum CollabCore.JSONValue

@testable import LoadTestKit

@Suite struct ClientDiagramModelTests {
    static let alice = UserRef(userID: "u-alice", email: "alice@test.tmi")
    static let node: JSONValue = [
        "id": "n1", "shape": "process", "x": 10, "y": 20, "width": 120, "height": 60,
    ]

    static func broadcast(_ id: String?, vector: Int, user: String = "u-bob", cells: [CellChange])
        -> SessionMessage
    {
        .operation(operationID: id, updateVector: vector, user: ["user_id": .string(user)], cells: cells)
    }

    @Test func pendingOperationsLayOnTopUntilAcknowledged() {
        var model = ClientDiagramModel(user: Self.alice)
        model.applySnapshot(cells: [Self.node], vector: 4)
        var moved = Self.node
        moved["x"] = 500
        model.sent(operationID: "op1", cells: [.update(moved)], at: .zero)
        #expect(model.view["n1"]?["x"] == 500)
        #expect(model.confirmed["n1"]?["x"] == 10)
        // Someone else's relabel arrives first: confirmed takes it, the view still shows our move.
        var relabelled = Self.node
        relabelled["attrs"] = ["text": ["text": "API"]]
        #expect(
            model.apply(Self.broadcast("other", vector: 5, cells: [.update(relabelled)]))
                == .applied(operationID: "other"))
        #expect(model.view["n1"]?["x"] == 500)
        // The server's merged cell comes back as our ack and replaces everything.
        var merged = relabelled
        merged["x"] = 500
        #expect(
            model.apply(Self.broadcast("op1", vector: 6, user: "u-alice", cells: [.update(merged)]))
                == .acknowledged(operationID: "op1"))
        #expect(model.pending.isEmpty)
        #expect(model.view == ["n1": merged] && model.vector == 6)
    }

    @Test func rejectionDropsThePendingOperation() {
        var model = ClientDiagramModel(user: Self.alice)
        model.sent(operationID: "op1", cells: [.add(Self.node)], at: .zero)
        #expect(
            model.apply(.rejected(operationID: "op1", reason: "validation_failed"))
                == .rejected(operationID: "op1", reason: "validation_failed"))
        #expect(model.view.isEmpty)
        #expect(model.apply(.rejected(operationID: "unknown", reason: "x")) == .ignored)
    }

    @Test func broadcastsAlreadyInASnapshotAreSkipped() {
        var model = ClientDiagramModel(user: Self.alice)
        model.applySnapshot(cells: [Self.node], vector: 10)
        #expect(
            model.apply(Self.broadcast("old", vector: 9, cells: [.remove("n1")]))
                == .applied(operationID: "old"))
        #expect(model.confirmed["n1"] != nil)
        _ = model.apply(Self.broadcast("new", vector: 11, cells: [.remove("n1")]))
        #expect(model.confirmed.isEmpty)
    }

    @Test func stateSyncReplacesCellsAndKeepsPendingOperations() {
        var model = ClientDiagramModel(user: Self.alice)
        #expect(model.apply(.stateSync(cells: [], updateVector: 1)) == .resynchronized)
        model.sent(operationID: "a", cells: [.add(Self.node)], at: .zero)
        model.sent(operationID: "b", cells: [.remove("n1")], at: .zero)
        // The server refuses "a" (base too old) and then sends its state.
        #expect(model.apply(.rejected(operationID: "a", reason: "conflict_detected")) != .ignored)
        #expect(model.apply(.stateSync(cells: [Self.node], updateVector: 3)) == .resynchronized)
        #expect(model.pending.map(\.operationID) == ["b"])
        #expect(model.confirmed == ["n1": Self.node] && model.vector == 3 && model.view.isEmpty)
    }

    @Test func ownUndoIsRecognisedAndCorrectionAsksForResync() {
        var model = ClientDiagramModel(user: Self.alice)
        #expect(
            model.apply(Self.broadcast("srv", vector: 1, user: "u-alice", cells: [.add(Self.node)]))
                == .ownUndoApplied)
        #expect(model.apply(.stateCorrection(updateVector: 1)) == .ignored)
        #expect(model.apply(.stateCorrection(updateVector: 7)) == .needsResync)
    }

    @Test func partialUpdateChangesOnlyNamedProperties() {
        var cells: [String: JSONValue] = ["n1": Self.node]
        CellChange(id: "n1", kind: .update, data: ["id": "n1", "x": 99]).apply(to: &cells)
        #expect(cells["n1"]?["x"] == 99 && cells["n1"]?["width"] == 120)
    }

    @Test func expiryDropsOldPendingOperations() {
        var model = ClientDiagramModel(user: Self.alice)
        model.sent(operationID: "old", cells: [.add(Self.node)], at: .seconds(1))
        model.sent(operationID: "new", cells: [.remove("n1")], at: .seconds(20))
        #expect(model.expirePending(sentBefore: .seconds(10)) == ["old"])
        #expect(model.pending.map(\.operationID) == ["new"])
    }

    /// Several editors, a sequencer, and random interleavings of sending, sequencing and delivery
    /// (each direction FIFO per editor, as over a WebSocket): once every queue drains, every
    /// editor's cells equal the server's.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomInterleavingsConverge(seed: UInt64) {
        let editors = 4
        var rng = SeededRandom(seed: seed)
        var server = InMemorySequencer()
        var models = (0..<editors).map {
            ClientDiagramModel(user: UserRef(userID: "u\($0)", email: "e\($0)@test.tmi"))
        }
        var generators = (0..<editors).map {
            OperationGenerator(seed: seed, editorIndex: $0, isPresenter: $0 == 0)
        }
        var toServer = Array(repeating: [JSONValue](), count: editors)
        var toClient = Array(repeating: [SessionMessage](), count: editors)
        var sent = 0
        func deliver(_ reply: InMemorySequencer.Reply, from sender: Int) {
            switch reply {
            case .broadcast(let m): for i in 0..<editors { toClient[i].append(SessionMessage.parse(m)!) }
            case .toSender(let m): toClient[sender].append(SessionMessage.parse(m)!)
            case .none: break
            }
        }
        for _ in 0..<6_000 {
            let who = Int.random(in: 0..<editors, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0 where sent < 1_500:
                switch generators[who].next(view: models[who].view) {
                case .operation(_, let cells):
                    let id = rng.uuid()
                    models[who].sent(operationID: id, cells: cells, at: .zero)
                    toServer[who].append(
                        EditorMessage.operation(
                            id: id, baseVector: models[who].vector, cells: cells, user: models[who].user
                        ).json)
                    sent += 1
                case .undo: toServer[who].append(EditorMessage.undo(user: models[who].user).json)
                case .cursor: break
                }
            case 1 where !toServer[who].isEmpty:
                deliver(server.receive(toServer[who].removeFirst()), from: who)
            case 2 where !toClient[who].isEmpty:
                _ = models[who].apply(toClient[who].removeFirst())
            default: break
            }
        }
        // Drain: sequence everything still queued, then deliver everything.
        for i in 0..<editors {
            while !toServer[i].isEmpty { deliver(server.receive(toServer[i].removeFirst()), from: i) }
        }
        for i in 0..<editors { while !toClient[i].isEmpty { _ = models[i].apply(toClient[i].removeFirst()) } }
        #expect(server.vector > 100)
        #expect(server.rejections > 0)  // concurrent editors do collide
        let verdict = CellComparison.verdict(
            editors: models.enumerated().map { ("e\($0.offset)", $0.element.view) },
            serverCells: server.restCells)
        #expect(verdict.converged, "\(String(describing: verdict.difference))")
        #expect(models.allSatisfy { $0.pending.isEmpty })
    }
}
