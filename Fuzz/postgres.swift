// libFuzzer target: the PostgreSQL v3 backend-message decoder (PostgresMessageDecoder), which
// reads whatever a database server (or anything listening where one was configured) sends.
// Checks: never crash; the length limit holds before buffering; and the outcome (messages, then
// the error if any) is the same whether the bytes arrive at once or in pieces the input chooses.
@testable import WireProtocol

/// Decodes the chunks in order; never more buffered than one message the limit allows (plus its
/// 5-byte header) and one read.
private func run(_ chunks: [ArraySlice<UInt8>], limit: Int) -> DecodeOutcome<
    PostgresBackendMessage, PostgresProtocolError
> {
    var decoder = PostgresMessageDecoder(maxMessageSize: limit)
    return decodeChunks(
        chunks, bound: limit + 5, feed: { decoder.feed($0) },
        next: { () throws(PostgresProtocolError) in try decoder.next() },
        buffered: { decoder.bufferedByteCount })
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPostgres(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limit = control & 0x80 != 0 ? 64 : 1 << 20
    expectSplitInvariance(bytes, step: Int(control & 0x1F) + 1) { run($0, limit: limit) }
    return 0
}
