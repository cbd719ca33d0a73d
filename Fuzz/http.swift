// libFuzzer target: the HTTP/1.1 parser (request head, Content-Length and chunked bodies, trailers,
// pipelining) in request and response mode. Besides "never crash", it checks the parser's promise
// that the outcome does not depend on how the input was split: the events and error of feeding the
// input whole must equal those of feeding it in pieces whose sizes the input itself chooses.
@testable import WireProtocol

private struct Outcome: Equatable {
    var events: [HTTPParser.Event] = []
    var error: HTTPParseError?
}

/// Feeds `chunks` in order and pulls events as a connection does: after each head the body limit
/// is set (small, so 413 paths are reached), and parsing stops at the first error.
private func run(_ chunks: [ArraySlice<UInt8>], mode: HTTPParser.Mode, bodyLimit: Int) -> Outcome {
    var parser = HTTPParser(
        mode: mode,
        limits: .init(
            maxRequestLineLength: 256, maxHeadLength: 2048, maxHeaderCount: 16, defaultBodyLimit: 4096))
    var outcome = Outcome()
    func pull() -> Bool {
        do {
            while let event = try parser.next() {
                outcome.events.append(event)
                if case .head = event { try parser.startBody(limit: bodyLimit) }
                // Bound the work per input: a flood of tiny pipelined requests proves nothing more.
                if outcome.events.count > 200 { return false }
            }
            return true
        } catch {
            outcome.error = error
            return false
        }
    }
    for chunk in chunks {
        parser.feed(chunk)
        guard pull() else { return outcome }
    }
    if outcome.error == nil {
        do {
            if let event = try parser.finish() { outcome.events.append(event) }
        } catch {
            outcome.error = error
        }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 2, let data else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let mode: HTTPParser.Mode = control & 0x80 != 0 ? .response : .request
    let bodyLimit = control & 0x40 != 0 ? 16 : 4096
    // Split into pieces of 1...16 bytes chosen by the control byte (and byte by byte when 0).
    expectSplitInvariance(bytes, step: Int(control & 0x0F) + 1) { run($0, mode: mode, bodyLimit: bodyLimit) }
    return 0
}
