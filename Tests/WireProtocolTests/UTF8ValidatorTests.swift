import Testing

@testable import WireProtocol

@Suite struct UTF8ValidatorTests {
    @Test(arguments: [
        "", "plain ascii text that is longer than eight bytes", "κόσμε", "€", "𝄞 music", "\u{10FFFF}",
        "\u{D7FF}\u{E000}",
    ])
    func acceptsValid(_ s: String) {
        #expect(UTF8Validator.isValid(Array(s.utf8)))
        // Split at every offset: the state carries across calls.
        let bytes = Array(s.utf8)
        for cut in 0...bytes.count {
            var v = UTF8Validator()
            let first = v.validate(Array(bytes[..<cut]))
            let second = v.validate(Array(bytes[cut...]))
            #expect(first && second && v.isAtBoundary)
        }
    }

    @Test(
        arguments: [
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xF0, 0x80, 0x80, 0xAF],  // overlong
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],  // above U+10FFFF
            [0x80], [0xFE], [0xFF], [0xC2, 0x41],
        ] as [[UInt8]])
    func rejectsInvalid(_ bytes: [UInt8]) {
        #expect(!UTF8Validator.isValid(bytes))
    }

    @Test func failsAtFirstBadByteBeforeTheEnd() {
        var v = UTF8Validator()
        let valid = v.validate(Array("κόσμε".utf8))
        let invalid = v.validate([
            0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80,
        ])
        #expect(valid && !invalid)
    }

    @Test func truncatedSequenceIsNotAtBoundary() {
        var v = UTF8Validator()
        let ok = v.validate([0xE2, 0x82])
        #expect(ok && !v.isAtBoundary)
    }
}
