/// The value of one ASCII hex digit (`0-9`, `a-f`, `A-F`), or nil for any other byte: the one
/// decoder behind chunk sizes, percent-escapes, URL authorities and PostgreSQL's hex `bytea`.
@inlinable
public func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- UInt8(ascii: "A") &+ 10
    default: nil
    }
}
