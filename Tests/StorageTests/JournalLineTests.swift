import Testing

@testable import Storage

@Suite struct JournalLineTests {
    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        // Slicing-by-8 and the byte loop agree on every length around the 8-byte stride.
        let data = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for n in 0...data.count {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in data[..<n] { crc = CRC32.table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
            #expect(CRC32.checksum(Array(data[..<n])) == crc ^ 0xFFFF_FFFF)
        }
    }

    @Test func lineRoundTrips() {
        var out: [UInt8] = []
        JournalLine.append(
            sequence: 42, batchFirst: 41, batchLast: 45, payload: Array(#"{"a":1}"#.utf8), to: &out)
        #expect(out.last == UInt8(ascii: "\n"))
        #expect(String(decoding: out[9...], as: UTF8.self) == "42 41 45 {\"a\":1}\n")
        let parsed = out.withUnsafeBytes { JournalLine.parse($0, start: 0, end: out.count - 1) }
        #expect(
            parsed
                == .success(JournalLine.Parsed(sequence: 42, batchFirst: 41, batchLast: 45, payload: 18..<25))
        )
    }

    @Test func emptyPayloadIsAllowed() {
        var out: [UInt8] = []
        JournalLine.append(sequence: 1, batchFirst: 1, batchLast: 1, payload: [], to: &out)
        let parsed = out.withUnsafeBytes { JournalLine.parse($0, start: 0, end: out.count - 1) }
        #expect(
            parsed == .success(JournalLine.Parsed(sequence: 1, batchFirst: 1, batchLast: 1, payload: 15..<15))
        )
    }

    @Test func everySingleByteChangeIsDetected() {
        var line: [UInt8] = []
        JournalLine.append(
            sequence: 7, batchFirst: 7, batchLast: 7, payload: Array("payload".utf8), to: &line)
        for i in 0..<(line.count - 1) {
            var damaged = line
            damaged[i] ^= 0x01
            let parsed = damaged.withUnsafeBytes { JournalLine.parse($0, start: 0, end: damaged.count - 1) }
            #expect(throws: JournalLine.Invalid.self) { try parsed.get() }
        }
    }

    @Test(arguments: [(9, 9, 8), (9, 10, 12), (1, 0, 1)])
    func rejectsSequenceOutsideItsBatch(sequence: UInt64, first: UInt64, last: UInt64) {
        var line: [UInt8] = []
        JournalLine.append(sequence: sequence, batchFirst: first, batchLast: last, payload: [], to: &line)
        let parsed = line.withUnsafeBytes { JournalLine.parse($0, start: 0, end: line.count - 1) }
        #expect(parsed == .failure(.malformed))
    }
}
