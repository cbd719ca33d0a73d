import FoundationEssentials

extension PostgresValue {
    /// The parameter as Bind sends it: the type OID declared in Parse (0 lets the server infer),
    /// the format code (0 text, 1 binary), and the bytes (nil for NULL).
    var wireParameter: (typeOID: UInt32, format: Int16, bytes: [UInt8]?) {
        switch self {
        case .null: (0, 0, nil)
        case .bool(let b): (PostgresTypeOID.bool, 0, b ? [0x74] : [0x66])
        case .int16(let v): (PostgresTypeOID.int2, 0, Array(String(v).utf8))
        case .int32(let v): (PostgresTypeOID.int4, 0, Array(String(v).utf8))
        case .int64(let v): (PostgresTypeOID.int8, 0, Array(String(v).utf8))
        case .float64(let v): (PostgresTypeOID.float8, 0, Array(Self.floatText(v).utf8))
        case .text(let s): (0, 0, Array(s.utf8))
        case .bytea(let b): (PostgresTypeOID.bytea, 1, b)
        case .uuid(let u): (PostgresTypeOID.uuid, 0, Array(u.uuidString.utf8))
        case .json(let s): (PostgresTypeOID.json, 0, Array(s.utf8))
        case .jsonb(let s): (PostgresTypeOID.jsonb, 0, Array(s.utf8))
        case .timestamptz(let d): (PostgresTypeOID.timestamptz, 0, Array(PostgresTimestamp.format(d).utf8))
        case .other(_, let s): (0, 0, Array(s.utf8))
        }
    }

    /// A column value from its text-format bytes. A value that does not parse as its declared
    /// type (which a real server never sends) is kept as `.other` rather than lost.
    init(typeOID: UInt32, text bytes: [UInt8]?) {
        guard let bytes else {
            self = .null
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let fallback = PostgresValue.other(typeOID: typeOID, text: text)
        switch typeOID {
        case PostgresTypeOID.bool:
            self = text == "t" ? .bool(true) : text == "f" ? .bool(false) : fallback
        case PostgresTypeOID.int2: self = Int16(text).map(PostgresValue.int16) ?? fallback
        case PostgresTypeOID.int4: self = Int32(text).map(PostgresValue.int32) ?? fallback
        case PostgresTypeOID.int8: self = Int64(text).map(PostgresValue.int64) ?? fallback
        case PostgresTypeOID.float4, PostgresTypeOID.float8:
            self = Self.parseFloat(text).map(PostgresValue.float64) ?? fallback
        case PostgresTypeOID.text, PostgresTypeOID.varchar, PostgresTypeOID.bpchar, PostgresTypeOID.name:
            self = .text(text)
        case PostgresTypeOID.bytea: self = Self.parseHexBytea(bytes).map(PostgresValue.bytea) ?? fallback
        case PostgresTypeOID.uuid: self = UUID(uuidString: text).map(PostgresValue.uuid) ?? fallback
        case PostgresTypeOID.json: self = .json(text)
        case PostgresTypeOID.jsonb: self = .jsonb(text)
        case PostgresTypeOID.timestamptz, PostgresTypeOID.timestamp:
            self = PostgresTimestamp.parse(bytes).map(PostgresValue.timestamptz) ?? fallback
        default: self = fallback
        }
    }

    /// float8 text as the server reads it: `Infinity`, `-Infinity`, `NaN`, else Swift's
    /// shortest round-tripping form.
    static func floatText(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Infinity" : "Infinity" }
        return String(v)
    }

    static func parseFloat(_ text: String) -> Double? {
        switch text {
        case "NaN": .nan
        case "Infinity": .infinity
        case "-Infinity": -.infinity
        default: Double(text)
        }
    }

    /// bytea in the `hex` output format (`\x` then two hex digits per byte); the client asks for
    /// `bytea_output=hex` at startup.
    static func parseHexBytea(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 2, bytes[0] == 0x5C, bytes[1] == 0x78, bytes.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2 - 1)
        var i = 2
        while i < bytes.count {
            guard let high = hexDigitValue(bytes[i]), let low = hexDigitValue(bytes[i + 1]) else {
                return nil
            }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
