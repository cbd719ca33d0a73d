import Testing

@testable import LoadTestKit

@Suite struct RunMetricsTests {
    @Test func ackAndDeliveryAreMeasuredFromSend() {
        var m = RunMetrics()
        m.beginMeasuring(at: .seconds(1))
        m.operationSent(id: "a", at: .seconds(2), receivers: 2)
        m.operationReceived(id: "a", isOriginator: true, at: .seconds(2) + .milliseconds(3))
        m.operationReceived(id: "a", isOriginator: false, at: .seconds(2) + .milliseconds(4))
        #expect(m.delivery.isEmpty)  // one receiver still missing
        #expect(m.undelivered == 1 && m.unacknowledged == 0)
        m.operationReceived(id: "a", isOriginator: false, at: .seconds(2) + .milliseconds(9))
        #expect(m.opsSent == 1 && m.opsAcked == 1)
        #expect(m.ack.max == 3000)
        #expect(m.delivery.max == 9000)  // the last receiver decides delivery latency
        #expect(m.inFlight.isEmpty && m.undelivered == 0)
        // A duplicate receipt of a finished operation changes nothing.
        m.operationReceived(id: "a", isOriginator: true, at: .seconds(3))
        #expect(m.opsAcked == 1)
    }

    @Test func warmupOperationsAreTrackedButNotCounted() {
        var m = RunMetrics()
        m.operationSent(id: "w", at: .seconds(0), receivers: 1)  // before measuring starts
        m.beginMeasuring(at: .seconds(1))
        m.operationReceived(id: "w", isOriginator: true, at: .seconds(1) + .milliseconds(1))
        m.operationReceived(id: "w", isOriginator: false, at: .seconds(1) + .milliseconds(1))
        m.operationSent(id: "r", at: .seconds(2), receivers: 0)
        m.operationRejected(id: "r", reason: "conflict_detected")
        m.operationSent(id: "w2", at: .seconds(0), receivers: 0)
        m.operationRejected(id: "w2", reason: "validation_failed")
        #expect(m.opsSent == 1 && m.opsAcked == 0)
        #expect(m.ack.isEmpty && m.delivery.isEmpty)
        #expect(m.rejected == ["conflict_detected": 1])
        m.endMeasuring(at: .seconds(5))
        m.operationSent(id: "late", at: .seconds(6), receivers: 0)
        m.messageIn(at: .seconds(6))
        #expect(m.opsSent == 1 && m.messagesIn == 0)
    }

    @Test func errorsKeepOnlyAFewSamples() {
        var m = RunMetrics()
        for i in 0..<9 { m.error("e\(i)") }
        #expect(m.errors == 9 && m.errorSamples == ["e0", "e1", "e2", "e3", "e4"])
    }
}
