// libFuzzer target: WebSocket inbound processing — the frame decoder, message reassembly, UTF-8
// validation of text (WebSocketFrameDecoder, UTF8Validator), close payloads and, when the control
// byte asks, permessage-deflate. Checks: never crash, split-independent outcome (whole input vs.
// pieces), every text message delivered is valid UTF-8, and no message exceeds the size limit.
@testable import WireProtocol

private struct Outcome: Equatable {
    var events: [WebSocketInboundProcessor.Event] = []
    var failure: WebSocketError?
}

private func run(_ chunks: [[UInt8]], options: WebSocketInboundProcessor.Options) -> Outcome {
    var processor = WebSocketInboundProcessor(options: options)
    var outcome = Outcome()
    for chunk in chunks {
        let (events, failure) = processor.process(chunk)
        outcome.events += events
        if let failure {
            outcome.failure = failure
            break
        }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 3, let data else { return 0 }
    let control = data[0]
    let step = Int(data[1] & 0x1F) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let maxMessage = 8192
    let options = WebSocketInboundProcessor.Options(
        role: control & 0x80 != 0 ? .client : .server, maxFrameSize: 4096, maxMessageSize: maxMessage,
        acceptsBinary: control & 0x40 == 0,
        inflate: control & 0x20 != 0
            ? .init(maxWindowBits: 8 + Int(control & 0x07), noContextTakeover: control & 0x08 != 0) : nil)
    let whole = run([bytes], options: options)
    var chunks: [[UInt8]] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        chunks.append(Array(bytes[start..<end]))
        start = end
    }
    let pieces = run(chunks, options: options)
    // zlib reports corrupt data per block, so with compression the first error seen may depend on
    // where the input was cut (bad text already inflated vs. the corrupt block after it): then
    // only the events and whether the connection fails must agree.
    let sameFailure =
        options.inflate == nil
        ? whole.failure == pieces.failure : (whole.failure == nil) == (pieces.failure == nil)
    if whole.events != pieces.events || !sameFailure {
        fatalError("split-dependent outcome:\n whole: \(whole)\n in \(step)-byte pieces: \(pieces)")
    }
    for case .message(let message) in whole.events {
        if message.bytes.count > maxMessage {
            fatalError("message of \(message.bytes.count) bytes passed the limit")
        }
        if message.kind == .text, !UTF8Validator.isValid(message.bytes) {
            fatalError("invalid UTF-8 delivered as text")
        }
    }
    return 0
}
