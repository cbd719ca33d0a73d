// libFuzzer target: permessage-deflate (RFC 7692). The input's first half is fed to the inflater
// as a peer's compressed message, in pieces, with a small output limit: it must fail cleanly or
// stop at the limit, never produce more. The second half is compressed by our deflater and must
// inflate back to itself (over two messages, to exercise context takeover).
@testable import WireProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDeflate(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size >= 2, let data else { return 0 }
    let control = data[0]
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let windowBits = 8 + Int(control & 0x07)
    let noContextTakeover = control & 0x08 != 0
    let limit = control & 0x10 != 0 ? 1024 : 64 * 1024
    let step = Int(control >> 5) * 7 + 1
    let half = input.count / 2

    // 1. Hostile compressed data.
    guard
        let inflater = try? PerMessageDeflateDecompressor(
            windowBits: windowBits, noContextTakeover: noContextTakeover)
    else { fatalError("inflater init") }
    var output: [UInt8] = []
    var start = 0
    var failed = false
    while start < half, !failed {
        let end = min(half, start + step)
        do {
            try input[start..<end].withUnsafeBytes { b in
                Result { () throws(WebSocketError) in try inflater.inflate(b, into: &output, limit: limit) }
            }.get()
        } catch {
            failed = true
        }
        if output.count > limit { fatalError("inflated \(output.count) bytes past the \(limit)-byte limit") }
        start = end
    }
    if !failed {
        try? inflater.finishMessage(into: &output, limit: limit)
        if output.count > limit { fatalError("inflated \(output.count) bytes past the \(limit)-byte limit") }
    }

    // 2. Round trip of our own compression, two messages in a row.
    let plain = Array(input[half...])
    guard
        let deflater = try? PerMessageDeflateCompressor(
            windowBits: windowBits, memLevel: 8, level: Int(control % 10),
            noContextTakeover: noContextTakeover),
        let reader = try? PerMessageDeflateDecompressor(
            windowBits: windowBits, noContextTakeover: noContextTakeover)
    else { fatalError("codec init") }
    for message in [plain, plain.reversed()] {
        do {
            let compressed = try deflater.compress(message)
            var back: [UInt8] = []
            try compressed.withUnsafeBytes { b in
                Result { () throws(WebSocketError) in try reader.inflate(b, into: &back, limit: 1 << 20) }
            }.get()
            try reader.finishMessage(into: &back, limit: 1 << 20)
            if back != message { fatalError("deflate round trip changed \(message.count) bytes") }
        } catch {
            fatalError("deflate round trip failed: \(error)")
        }
    }
    return 0
}
