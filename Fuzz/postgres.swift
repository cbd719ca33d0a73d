// libFuzzer target: the PostgreSQL v3 backend-message decoder (PostgresMessageDecoder), which
// reads whatever a database server (or anything listening where one was configured) sends.
// Checks: never crash; the length limit holds before buffering; and the outcome (messages, then
// the error if any) is the same whether the bytes arrive at once or in pieces the input chooses.
@testable import WireProtocol

private struct Outcome: Equatable {
    var messages: [PostgresBackendMessage] = []
    var error: PostgresProtocolError?
}

private func run(_ chunks: [ArraySlice<UInt8>], limit: Int) -> Outcome {
    var decoder = PostgresMessageDecoder(maxMessageSize: limit)
    var outcome = Outcome()
    for chunk in chunks {
        decoder.feed(chunk)
        do {
            while let message = try decoder.next() { outcome.messages.append(message) }
        } catch {
            outcome.error = error
            return outcome
        }
        // Never more buffered than one message the limit allows plus what one read delivered.
        if decoder.bufferedByteCount > limit + 5 + chunk.count {
            fatalError("decoder buffered \(decoder.bufferedByteCount) bytes with a \(limit)-byte limit")
        }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPostgres(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limit = control & 0x80 != 0 ? 64 : 1 << 20
    let whole = run([bytes[...]], limit: limit)
    let step = Int(control & 0x1F) + 1
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        chunks.append(bytes[start..<end])
        start = end
    }
    let pieces = run(chunks, limit: limit)
    if whole != pieces {
        fatalError("split-dependent outcome:\n whole: \(whole)\n in \(step)-byte pieces: \(pieces)")
    }
    return 0
}
