import Testing

@testable import WireProtocol

/// What the parser produced for an input, in order; an error ends the list.
enum ParseOutcome: Equatable, CustomStringConvertible {
    case head(HTTPMessageHead)
    case complete(body: String, trailers: HTTPHeaders)
    case error(HTTPParseError)

    var description: String {
        switch self {
        case .head(let h): "head(\(h.method)\(h.status) \(h.target) \(h.framing) keepAlive=\(h.keepAlive))"
        case .complete(let body, let trailers): "complete(\(body.debugDescription), \(trailers.fields))"
        case .error(let e): "error(\(e))"
        }
    }
}

/// Feeds each input whole, byte by byte, and split in two at every offset, and checks that every
/// way of chunking yields the same outcomes (the idea of swift-nio's ByteToMessageDecoderVerifier).
enum ParserVerifier {
    static func outcomes(
        _ text: String, mode: HTTPParser.Mode = .request, limits: HTTPParser.Limits = .init(),
        bodyLimit: Int? = nil, headResponse: Bool = false, atEOF: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [ParseOutcome] {
        let bytes = Array(text.utf8)
        let run = { (chunks: [ArraySlice<UInt8>]) in
            parse(
                chunks, mode: mode, limits: limits, bodyLimit: bodyLimit, headResponse: headResponse,
                atEOF: atEOF)
        }
        let whole = run([bytes[...]])
        let byteByByte = run(bytes.indices.map { bytes[$0...$0] })
        #expect(byteByByte == whole, "byte by byte differs", sourceLocation: sourceLocation)
        for offset in 0...bytes.count {
            let split = run([bytes[..<offset], bytes[offset...]])
            if split != whole {
                Issue.record(
                    "split at \(offset) differs: \(split) vs \(whole)", sourceLocation: sourceLocation)
                break
            }
        }
        return whole
    }

    static func parse(
        _ chunks: [ArraySlice<UInt8>], mode: HTTPParser.Mode, limits: HTTPParser.Limits, bodyLimit: Int?,
        headResponse: Bool, atEOF: Bool
    ) -> [ParseOutcome] {
        var parser = HTTPParser(mode: mode, limits: limits)
        parser.nextResponseIsToHEAD = headResponse
        var out: [ParseOutcome] = []
        func record(_ event: HTTPParser.Event) throws(HTTPParseError) {
            switch event {
            case .head(let head):
                out.append(.head(head))
                if let bodyLimit { try parser.startBody(limit: bodyLimit) }
            case .complete(let body, let trailers):
                out.append(.complete(body: String(decoding: body, as: UTF8.self), trailers: trailers))
                parser.nextResponseIsToHEAD = headResponse
            }
        }
        do throws(HTTPParseError) {
            for chunk in chunks {
                parser.feed(chunk)
                while let event = try parser.next() { try record(event) }
            }
            if atEOF, let event = try parser.finish() { try record(event) }
        } catch {
            out.append(.error(error))
        }
        return out
    }
}

extension HTTPMessageHead {
    /// A request head as the parser should produce it; tests state only what differs.
    static func make(
        method: String = "GET", target: String = "/", versionMinor: Int = 1,
        headers: [(String, String)] = [("Host", "x")], keepAlive: Bool = true, expectsContinue: Bool = false,
        framing: BodyFraming = .none
    ) -> HTTPMessageHead {
        HTTPMessageHead(
            method: method, target: target, versionMinor: versionMinor,
            headers: HTTPHeaders(headers.map { (name: $0.0, value: $0.1) }), keepAlive: keepAlive,
            expectsContinue: expectsContinue, framing: framing)
    }
}
