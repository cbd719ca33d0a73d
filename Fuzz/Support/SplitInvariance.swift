// Shared by the fuzz targets (scripts/fuzz compiles every file of Fuzz/Support/ into each target):
// the split-invariance harness. A streaming decoder must not care how its input was cut into
// reads, so each target decodes the same bytes whole and in pieces whose size the input chooses
// and traps when the two outcomes differ.

/// What feeding a decoder produced: the values it decoded, then the error that stopped it.
struct DecodeOutcome<Value: Equatable, Failure: Error & Equatable>: Equatable {
    var values: [Value] = []
    var error: Failure?
}

/// The bytes in consecutive pieces of `step` bytes (the last one shorter); none for no bytes.
func pieces(of bytes: [UInt8], step: Int) -> [ArraySlice<UInt8>] {
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + step)
        chunks.append(bytes[start..<end])
        start = end
    }
    return chunks
}

/// Decodes `bytes` whole and in `step`-byte pieces with `decode` and traps (a finding) when the
/// outcomes differ; returns the outcome of the whole input for further checks.
@discardableResult
func expectSplitInvariance<Outcome: Equatable>(
    _ bytes: [UInt8], step: Int, _ decode: ([ArraySlice<UInt8>]) -> Outcome
) -> Outcome {
    let whole = decode([bytes[...]])
    let split = decode(pieces(of: bytes, step: step))
    if whole != split {
        fatalError("split-dependent outcome:\n whole: \(whole)\n in \(step)-byte pieces: \(split)")
    }
    return whole
}

/// Feeds `chunks` in order to a streaming decoder (`feed`, then `next` until it needs more),
/// stopping at the first error. After each chunk the decoder may hold at most `bound` bytes plus
/// that chunk: a decoder that buffers more is not enforcing its limits before buffering.
func decodeChunks<Value: Equatable, Failure: Error & Equatable>(
    _ chunks: [ArraySlice<UInt8>], bound: Int,
    feed: (ArraySlice<UInt8>) -> Void, next: () throws(Failure) -> Value?, buffered: () -> Int
) -> DecodeOutcome<Value, Failure> {
    var outcome = DecodeOutcome<Value, Failure>()
    for chunk in chunks {
        feed(chunk)
        do throws(Failure) {
            while let value = try next() { outcome.values.append(value) }
        } catch {
            outcome.error = error
            return outcome
        }
        if buffered() > bound + chunk.count {
            fatalError("decoder buffered \(buffered()) bytes, bound \(bound) plus a \(chunk.count)-byte read")
        }
    }
    return outcome
}
