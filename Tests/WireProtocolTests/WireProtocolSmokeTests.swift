import Testing

@testable import WireProtocol

@Suite struct WireProtocolSmokeTests {
    @Test func moduleLoads() { #expect(Bool(true)) }
}
