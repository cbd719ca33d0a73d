import Testing

@testable import WireProtocol

@Suite struct MemoryByteStreamTests {
    @Test func bytesFlowBothWaysAndCloseGivesEOF() async throws {
        let (a, b) = MemoryByteStream.makePair()
        try await a.write(vectored: [[1, 2], [3]])
        try await b.write([9])
        var buffer = [UInt8](repeating: 0, count: 2)
        #expect(try await b.read(into: &buffer) == 2)
        #expect(buffer == [1, 2])
        #expect(try await b.read(into: &buffer) == 1)
        #expect(buffer[0] == 3)
        #expect(try await a.read(into: &buffer) == 1)
        a.close()
        #expect(try await b.read(into: &buffer) == 0)
        await #expect(throws: StreamError.disconnected) { try await b.write([1]) }
        await #expect(throws: StreamError.closed) { try await a.read(into: &buffer) }
    }

    /// A writer past the capacity waits until the reader makes room.
    @Test func writerWaitsForReader() async throws {
        let (a, b) = MemoryByteStream.makePair(capacity: 4)
        try await a.write([1, 2, 3, 4])
        async let blocked: Void = a.write([5])
        for _ in 0..<10 { await Task.yield() }
        #expect(b.bufferedForReading == 4)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(try await b.read(into: &buffer) == 4)
        try await blocked
        #expect(try await b.read(into: &buffer) == 1)
        #expect(buffer[0] == 5)
    }
}
