// libFuzzer target: JSONValue.parse (the strict RFC 8259 byte parser) and serialization. Any input
// must parse or fail with ParseError (never crash, never recurse past maxParseDepth); what parses
// must serialize to text that parses back to an equal value, and serializing that again must give
// the same bytes.
@testable import CollabCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    let text = value.serialized(sortedKeys: true)
    let again: JSONValue
    do {
        again = try JSONValue.parse(text)
    } catch {
        fatalError("serialized output does not parse: \(error)")
    }
    guard again == value else { fatalError("round trip changed the value") }
    guard again.serialized(sortedKeys: true) == text else { fatalError("serialization is not stable") }
    return 0
}
