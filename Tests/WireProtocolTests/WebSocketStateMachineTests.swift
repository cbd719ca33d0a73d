import Testing

@testable import WireProtocol

@Suite struct WebSocketStateMachineTests {
    @Test func peerInitiatedCloseIsEchoedAndFinishes() {
        var m = WebSocketStateMachine()
        #expect(
            m.receivedClose(code: WebSocketCloseCode(4000), reason: "x")
                == .sendClose(code: WebSocketCloseCode(4000), reason: "", thenFinish: true))
        #expect(
            m.closeInfo
                == WebSocketCloseInfo(code: WebSocketCloseCode(4000), reason: "x", initiatedByPeer: true))
        #expect(!m.canSendData)
        #expect(m.receivedClose(code: nil, reason: "") == .none)
    }

    @Test func localCloseWaitsForReplyThenFinishes() {
        var m = WebSocketStateMachine()
        #expect(
            m.close(code: .goingAway, reason: "shutdown")
                == .sendClose(code: .goingAway, reason: "shutdown", thenFinish: false))
        #expect(m.close(code: .normalClosure, reason: "") == .none)
        #expect(m.receivedPing([1]) == nil)
        #expect(m.receivedClose(code: .goingAway, reason: "") == .finish)
        #expect(m.closeInfo?.code == .goingAway)
        #expect(m.closeInfo?.initiatedByPeer == false)
    }

    @Test func closeTimeoutOnlyMattersWhileClosing() {
        var m = WebSocketStateMachine()
        _ = m.close(code: .normalClosure, reason: "")
        #expect(m.closeTimedOut() == .finish)
        #expect(m.closeInfo?.code == .abnormalClosure)
    }

    @Test(arguments: [
        (WebSocketError.protocolViolation("x"), UInt16(1002)), (.invalidUTF8, 1007), (.messageTooBig, 1009),
        (.unsupportedData, 1003), (.policyViolation("slow"), 1008), (.internalError("zlib"), 1011),
    ])
    func failureSendsItsCodeAndFinishes(_ error: WebSocketError, _ code: UInt16) {
        var m = WebSocketStateMachine()
        guard case .sendClose(let sent, _, let thenFinish) = m.failed(error) else {
            Issue.record("no close frame")
            return
        }
        #expect(sent?.rawValue == code)
        #expect(thenFinish)
        #expect(m.failed(error) == .none)
    }

    @Test func failureWhileClosingJustFinishes() {
        var m = WebSocketStateMachine()
        _ = m.close(code: .normalClosure, reason: "")
        #expect(m.failed(.invalidUTF8) == .finish)
    }

    @Test func keepaliveNeedsMatchingPong() {
        var m = WebSocketStateMachine()
        let first = m.keepaliveTick()
        #expect(first != nil)
        m.receivedPong([0xDE, 0xAD])  // unsolicited: ignored (§5.5.3)
        #expect(
            m.pongDeadlinePassed() == .sendClose(code: .goingAway, reason: "ping timeout", thenFinish: true))

        var n = WebSocketStateMachine()
        let ping = n.keepaliveTick() ?? []
        n.receivedPong(ping)
        #expect(n.pongDeadlinePassed() == .none)
        #expect(n.keepaliveTick() != ping)
    }

    @Test func streamEndWithoutCloseIs1006() {
        var m = WebSocketStateMachine()
        m.streamEnded()
        #expect(m.closeInfo?.code == .abnormalClosure)
        #expect(m.keepaliveTick() == nil)
    }
}
