import Testing

@testable import WireProtocol

/// `HTTPHeaders` answers most lookups from a filter of the names present; these tests hold it
/// to a plain list with case-insensitive scans (the definition) through every way of changing it.
@Suite struct HTTPHeadersTests {
    /// Names in several cases, names sharing a length and first and last letters (so they share
    /// filter bits), the empty name, and names with non-letter bytes.
    static let names = [
        "Host", "host", "HOST", "Connection", "connection", "Content-Length", "content-length",
        "Transfer-Encoding", "Upgrade", "X-Request-Id", "x-request-ID", "Hxxt", "HOST2", "", "a", "A",
        "@x", "`x", "Content-Lengtx", "Cache-Control",
    ]

    struct Model {
        var fields: [(name: String, value: String)] = []
        func values(_ name: String) -> [String] {
            fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }

    func expectAgrees(_ headers: HTTPHeaders, _ model: Model, _ step: Int) {
        #expect(headers.count == model.fields.count, "step \(step)")
        for name in Self.names {
            let expected = model.values(name)
            #expect(headers.values(name) == expected, "step \(step): values(\(name))")
            #expect(headers[name] == expected.first, "step \(step): [\(name)]")
            #expect(headers.contains(name) == !expected.isEmpty, "step \(step): contains(\(name))")
            #expect(headers.count(of: name) == expected.count, "step \(step): count(of: \(name))")
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func lookupsAgreeWithAPlainScanThroughAddSetAndRemove(seed: UInt64) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var headers = HTTPHeaders()
        var model = Model()
        for step in 0..<300 {
            let name = Self.names[next(Self.names.count)]
            let value = "v\(step)"
            switch next(3) {
            case 0:
                headers.add(name, value)
                model.fields.append((name, value))
            case 1:
                headers.set(name, value)
                model.fields.removeAll { $0.name.lowercased() == name.lowercased() }
                model.fields.append((name, value))
            default:
                headers.remove(name)
                model.fields.removeAll { $0.name.lowercased() == name.lowercased() }
            }
            expectAgrees(headers, model, step)
        }
        // A copy made from the fields alone answers the same.
        expectAgrees(HTTPHeaders(headers.fields), model, -1)
    }
}
