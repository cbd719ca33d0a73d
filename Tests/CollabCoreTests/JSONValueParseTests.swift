import Foundation
import Testing

@testable import CollabCore

@Suite struct JSONValueParseTests {
    static let valid: [(String, JSONValue)] = [
        ("null", nil), ("true", true), ("false", false), ("0", 0), ("-0", .number(-0.0)),
        ("12", 12), ("-12", -12), ("1.5", 1.5), ("1e3", 1000), ("1E+3", 1000), ("25e-1", 2.5),
        ("123456789012345678", 123_456_789_012_345_678), ("0.1", 0.1), ("-1.25e-2", -0.0125),
        (#""""#, ""), (#""abc""#, "abc"), (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
        (#""\u0041\u00e9\u20AC""#, "Aé€"), (#""\ud83d\ude00""#, "😀"), ("\"é😀\"", "é😀"),
        ("[]", []), ("{}", [:]), (" \t\r\n[ 1 , [ ] , { } ]\n", [1, [], [:]]),
        (#"{"a":1,"b":{"c":[null]}}"#, ["a": 1, "b": ["c": [nil]]]),
        (#"{"a":1,"a":2}"#, ["a": 2]),
        (#"{"":"empty key"}"#, ["": "empty key"]),
    ]

    @Test(arguments: valid)
    func parsesValidDocuments(text: String, expected: JSONValue) throws {
        #expect(try JSONValue.parse(text) == expected)
    }

    /// Each invalid document with the byte offset its error must name.
    static let invalid: [(String, [UInt8], Int)] = [
        ("empty", [], 0),
        ("whitespace only", Array(" ".utf8), 1),
        ("trailing comma in array", Array("[1,]".utf8), 3),
        ("trailing comma in object", Array(#"{"a":1,}"#.utf8), 7),
        ("leading zero", Array("01".utf8), 0),
        ("negative leading zero", Array("-01".utf8), 0),
        ("plus sign", Array("+1".utf8), 0),
        ("bare minus", Array("-".utf8), 0),
        ("dot without digits", Array("1.".utf8), 2),
        ("leading dot", Array(".5".utf8), 0),
        ("exponent without digits", Array("1e".utf8), 2),
        ("exponent sign only", Array("1e+".utf8), 3),
        ("NaN", Array("NaN".utf8), 0),
        ("Infinity", Array("Infinity".utf8), 0),
        ("number overflow", Array("1e400".utf8), 0),
        ("single quotes", Array("'a'".utf8), 0),
        ("unterminated string", Array(#""abc"#.utf8), 0),
        ("raw newline in string", Array("\"a\nb\"".utf8), 2),
        ("raw tab in string", Array("\"\t\"".utf8), 1),
        ("invalid escape", Array(#""\x""#.utf8), 1),
        ("short unicode escape", Array(#""\u12""#.utf8), 1),
        ("bad hex digit", Array(#""\u12G4""#.utf8), 1),
        ("lone high surrogate", Array(#""\ud83d""#.utf8), 1),
        ("high then non-surrogate", Array(#""\ud83d\u0041""#.utf8), 7),
        ("lone low surrogate", Array(#""\ude00""#.utf8), 1),
        ("invalid UTF-8 lead", [0x22, 0xFF, 0x22], 1),
        ("continuation without lead", [0x22, 0x80, 0x22], 1),
        ("overlong two-byte", [0x22, 0xC0, 0xAF, 0x22], 1),
        ("overlong three-byte", [0x22, 0xE0, 0x80, 0xAF, 0x22], 1),
        ("UTF-8 surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], 1),
        ("above U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),
        ("truncated sequence", [0x22, 0xE2, 0x82], 1),
        ("bad continuation", [0x22, 0xE2, 0x28, 0xA1, 0x22], 1),
        ("byte order mark", [0xEF, 0xBB, 0xBF] + Array("1".utf8), 0),
        ("two values", Array("1 2".utf8), 2),
        ("missing colon", Array(#"{"a" 1}"#.utf8), 5),
        ("non-string key", Array("{1:2}".utf8), 1),
        ("missing comma", Array("[1 2]".utf8), 3),
        ("unterminated array", Array("[1".utf8), 2),
        ("unterminated object", Array(#"{"a":1"#.utf8), 6),
        ("bad literal", Array("tru".utf8), 0),
        ("capitalised literal", Array("True".utf8), 0),
        ("comment", Array("[1/*x*/]".utf8), 2),
        ("form feed is not whitespace", Array("\u{C}1".utf8), 0),
        ("nul byte", [0x00], 0),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDocuments(name: String, bytes: [UInt8], offset: Int) {
        do {
            let v = try JSONValue.parse(bytes)
            Issue.record("\(name): parsed as \(v)")
        } catch {
            #expect(error.description.hasSuffix("at byte \(offset)"), "\(name): \(error)")
        }
    }

    @Test func limitsNestingDepth() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect(throws: JSONValue.ParseError.invalid("nesting deeper than 128 levels at byte 128")) {
            try JSONValue.parse(deep)
        }
        let deepObjects = String(repeating: #"{"a":"#, count: 200) + "1" + String(repeating: "}", count: 200)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(deepObjects) }
    }

    @Test func errorMessagesSayWhatWasWrong() {
        #expect(throws: JSONValue.ParseError.invalid("unexpected character ']', expected a value at byte 5"))
        {
            try JSONValue.parse(#"{"a":]"#)
        }
        #expect(throws: JSONValue.ParseError.invalid("leading zeros are not allowed at byte 1")) {
            try JSONValue.parse("[00]")
        }
    }

    @Test func roundTripsSerializedText() throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<300 {
            let value = RandomJSON.value(depth: 0, using: &rng)
            #expect(try JSONValue.parse(value.serialized()) == value)
        }
    }

    /// Random documents, written with random whitespace and escape choices, must parse to the
    /// value that was written, and to what Foundation's JSONSerialization finds. Foundation on
    /// Linux does not round 17-digit decimals correctly, so numbers are compared with it to within
    /// a few ulps, and exactly with the written value.
    @Test func agreesWithJSONSerialization() throws {
        var rng = SeededRandom(seed: 42)
        for _ in 0..<400 {
            let value = RandomJSON.value(depth: 0, using: &rng)
            var text: [UInt8] = []
            RandomJSON.write(value, to: &text, using: &rng)
            let ours = try JSONValue.parse(text)
            let theirs = try JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed])
            let shown = String(decoding: text, as: UTF8.self)
            #expect(ours == value, "\(shown)")
            #expect(RandomJSON.nearlyEqual(ours, RandomJSON.fromFoundation(theirs)), "\(shown)")
        }
    }

    /// Every strict prefix of an array document is incomplete and must be refused (never crash,
    /// never yield a value); the whole document must parse.
    @Test func refusesEveryTruncation() throws {
        var rng = SeededRandom(seed: 3)
        for _ in 0..<40 {
            let value: JSONValue = [RandomJSON.value(depth: 1, using: &rng)]
            var text: [UInt8] = []
            RandomJSON.write(value, to: &text, using: &rng)
            while let last = text.last, [0x20, 0x09, 0x0A, 0x0D].contains(last) { text.removeLast() }
            for end in 0..<text.count {
                #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array(text[..<end])) }
            }
            #expect(try JSONValue.parse(text) == value)
        }
    }

    /// Random byte corruption: the parser either refuses the input or returns a value that
    /// survives its own serialize/parse round trip.
    @Test func survivesCorruptedInput() throws {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<300 {
            var text = RandomJSON.value(depth: 0, using: &rng).serialized()
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !text.isEmpty {
                text[Int.random(in: 0..<text.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let value = try? JSONValue.parse(text) {
                #expect(try JSONValue.parse(value.serialized()) == value)
            }
        }
    }
}
