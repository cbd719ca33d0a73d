import Testing

@testable import WireProtocol

/// `hexDigitValue` decodes chunk sizes, percent-escapes, URL authorities and `bytea`: it must
/// accept exactly the 22 hex digits of either case, for every byte.
@Suite struct HexDigitTests {
    @Test func acceptsExactlyTheHexDigitsOfEitherCase() {
        let lower = Array("0123456789abcdef".utf8)
        let upper = Array("0123456789ABCDEF".utf8)
        for byte in UInt8.min...UInt8.max {
            let expected = lower.firstIndex(of: byte) ?? upper.firstIndex(of: byte)
            #expect(hexDigitValue(byte).map(Int.init) == expected, "byte \(byte)")
        }
    }
}
