import Testing

@testable import RESTGateway

@Suite struct QueryStringTests {
    static let cases: [(String?, [String: String])] = [
        (nil, [:]),
        ("", [:]),
        ("a=1&b=2", ["a": "1", "b": "2"]),
        ("q=hello+world", ["q": "hello world"]),
        ("q=a%2Bb%20c", ["q": "a+b c"]),
        ("name%20x=v", ["name x": "v"]),
        ("flag", ["flag": ""]),
        ("a=1&a=2", ["a": "1"]),
        ("&&a=1&", ["a": "1"]),
        ("=v&b=", ["b": ""]),
        ("u=%E2%9C%93", ["u": "✓"]),
        ("bad=%zz%4", ["bad": "%zz%4"]),
        ("eq=a=b", ["eq": "a=b"]),
    ]

    @Test(arguments: cases)
    func parse(_ query: String?, _ expected: [String: String]) {
        #expect(QueryString.parse(query?[...]) == expected)
    }

    @Test func invalidUTF8IsReplacedNotDropped() {
        #expect(PercentDecoding.decode("%FFa") == "\u{FFFD}a")
    }

    @Test func plusIsLiteralInPaths() {
        #expect(PercentDecoding.decode("a+b") == "a+b")
    }
}
