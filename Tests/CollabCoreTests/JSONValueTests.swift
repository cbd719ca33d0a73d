import Testing

@testable import CollabCore

@Suite struct JSONValueTests {
    @Test func roundTripsThroughText() throws {
        let v: JSONValue = ["a": 1, "b": [true, nil, "x\"y\n"], "c": 1.5]
        let text = v.serializedString(sortedKeys: true)
        #expect(text == #"{"a":1,"b":[true,null,"x\"y\n"],"c":1.5}"#)
        #expect(try JSONValue.parse(text) == v)
    }

    @Test func rejectsInvalidText() {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse("{\"a\":") }
    }
}
