// libFuzzer target: the RESP decoder (RESPDecoder), which reads whatever a Redis server (or
// anything listening where one was configured) sends. Checks: never crash or recurse; the limits
// hold before buffering; the outcome (values, then the error if any) is the same whether the bytes
// arrive at once or in pieces the input chooses; and every decoded value, encoded again, decodes
// back equal.
@testable import WireProtocol

/// Decodes the chunks in order; never more buffered than one line or one bulk payload the
/// limits allow, plus one read.
private func run(_ chunks: [ArraySlice<UInt8>], limits: RESPDecoder.Limits) -> DecodeOutcome<
    RedisValue, RESPProtocolError
> {
    var decoder = RESPDecoder(limits: limits)
    return decodeChunks(
        chunks, bound: max(limits.maxLineLength + 3, limits.maxBulkLength + 2),
        feed: { decoder.feed($0) }, next: { () throws(RESPProtocolError) in try decoder.next() },
        buffered: { decoder.bufferedByteCount })
}

/// Whether the encoder can write the value back as the same value: an error or simple string
/// holding CR or LF (possible from a RESP3 blob error) has no RESP2 line form.
private func encodable(_ value: RedisValue) -> Bool {
    switch value {
    case .error(let text), .simpleString(let text), .number(let text):
        !text.utf8.contains(13) && !text.utf8.contains(10)
    case .array(let values), .map(let values), .push(let values): values.allSatisfy(encodable)
    default: true
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRESP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var limits = RESPDecoder.Limits()
    if control & 0x80 != 0 {
        limits.maxBulkLength = 64
        limits.maxElements = 16
        limits.maxDepth = 4
        limits.maxLineLength = 32
    }
    let whole = expectSplitInvariance(bytes, step: Int(control & 0x1F) + 1) { run($0, limits: limits) }
    for value in whole.values where encodable(value) {
        var encoded: [UInt8] = []
        RESPEncoder.encode(value, into: &encoded)
        var decoder = RESPDecoder()
        decoder.feed(encoded)
        let again = try? decoder.next()
        if again != value || decoder.bufferedByteCount != 0 {
            fatalError("round trip changed \(value) into \(String(describing: again))")
        }
    }
    return 0
}
