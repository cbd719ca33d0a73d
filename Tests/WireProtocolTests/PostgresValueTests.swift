import FoundationEssentials
import TestSupport
import Testing

@testable import WireProtocol

@Suite struct PostgresValueTests {
    static let timestamps: [(String, Double)] = [
        ("1970-01-01 00:00:00+00", 0),
        ("2023-11-14 22:13:20.123456+00", 1_700_000_000.123456),
        ("2000-02-29 12:00:00.5+00", 951_825_600.5),
        ("1969-12-31 23:59:59.999999+00", -0.000001),
        ("2024-05-06 09:08:09+02", 1_714_979_289),
        ("2024-05-06 07:08:09-05:30", 1_714_999_089),
    ]

    @Test(arguments: timestamps.indices)
    func timestampParses(_ i: Int) throws {
        let (text, seconds) = Self.timestamps[i]
        let date = try #require(PostgresTimestamp.parse(Array(text.utf8)))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_000_5, "\(text)")
    }

    @Test func timestampFormatsAsTheServerWrites() {
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00.000000+00")
        #expect(
            PostgresTimestamp.format(Date(timeIntervalSince1970: 1_700_000_000.123456))
                == "2023-11-14 22:13:20.123456+00")
        #expect(PostgresTimestamp.format(.distantFuture) == "infinity")
        #expect(PostgresTimestamp.parse(Array("-infinity".utf8)) == .distantPast)
        // Year 0 is 1 BC (ISO years before 1 are written with " BC").
        let bc = PostgresTimestamp.format(Date(timeIntervalSince1970: -62_167_219_200))
        #expect(bc == "0001-01-01 00:00:00.000000+00 BC")
        #expect(PostgresTimestamp.parse(Array(bc.utf8))?.timeIntervalSince1970 == -62_167_219_200)
    }

    @Test func timestampRoundTripsAtMicrosecondPrecision() throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            // Date is a Double from 2001: microseconds stay exact within about 63 years of it.
            let micros = Int64.random(in: -2_000_000_000_000_000...2_000_000_000_000_000, using: &rng)
            let date = Date(timeIntervalSinceReferenceDate: Double(micros) / 1_000_000)
            let text = PostgresTimestamp.format(date)
            let back = try #require(PostgresTimestamp.parse(Array(text.utf8)), "\(text)")
            #expect(PostgresTimestamp.format(back) == text)
        }
    }

    @Test(arguments: [
        "", "2024", "2024-13-01 00:00:00+00", "2024-01-01T00:00:00+00", "2024-01-01 00:00:00+00 AD",
        "2024-01-01 00:00:00.1234567+00", "2024-01-01 25:00:00+00", "2024-01-01 00:00:00+0",
        "999999999999999999-01-01 00:00:00+00",
    ])
    func malformedTimestampIsNil(_ text: String) {
        #expect(PostgresTimestamp.parse(Array(text.utf8)) == nil)
    }

    @Test func textResultsDecodeByType() {
        func value(_ oid: UInt32, _ text: String?) -> PostgresValue {
            PostgresValue(typeOID: oid, text: text.map { Array($0.utf8) })
        }
        #expect(value(PostgresTypeOID.int4, nil) == .null)
        #expect(value(PostgresTypeOID.bool, "t") == .bool(true))
        #expect(value(PostgresTypeOID.int2, "-32768") == .int16(.min))
        #expect(value(PostgresTypeOID.int8, "9223372036854775807") == .int64(.max))
        #expect(value(PostgresTypeOID.float8, "-Infinity") == .float64(-.infinity))
        #expect(value(PostgresTypeOID.float8, "NaN").double?.isNaN == true)
        #expect(value(PostgresTypeOID.bytea, "\\x00ff10") == .bytea([0, 255, 16]))
        #expect(value(PostgresTypeOID.bytea, "\\x0") == .other(typeOID: 17, text: "\\x0"))
        #expect(value(PostgresTypeOID.bytea, "\\xzz") == .other(typeOID: 17, text: "\\xzz"))
        #expect(value(PostgresTypeOID.int4, "12x") == .other(typeOID: 23, text: "12x"))
        #expect(value(1700, "3.14") == .other(typeOID: 1700, text: "3.14"))
        #expect(value(1700, "3.14").double == 3.14)
        #expect(
            value(PostgresTypeOID.uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").uuid
                == UUID(uuidString: "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"))
    }

    @Test func parametersEncodeAsTheServerReadsThem() {
        #expect(PostgresValue.float64(.infinity).wireParameter.bytes == Array("Infinity".utf8))
        #expect(PostgresValue.float64(0.1).wireParameter.bytes == Array("0.1".utf8))
        #expect(PostgresValue.bytea([0, 1]).wireParameter.format == 1)
        #expect(PostgresValue.text("x").wireParameter.typeOID == 0)
        #expect(PostgresValue.null.wireParameter.bytes == nil)
        let literals: [PostgresValue] = [nil, true, 7, 1.5, "s"]
        #expect(literals == [.null, .bool(true), .int64(7), .float64(1.5), .text("s")])
    }

    @Test func rowAccessorsNameTheProblem() throws {
        let row = PostgresRow(
            columns: [PostgresColumn(name: "id", typeOID: 23), PostgresColumn(name: "name", typeOID: 25)],
            values: [.int32(5), .null])
        #expect(try row.int("id") == 5)
        #expect(row["name"] == .null)
        #expect(row["nope"] == nil)
        #expect(throws: PostgresError.decoding("no column named 'nope'")) { try row.value("nope") }
        #expect(throws: PostgresError.decoding("column 'name' is null, expected text")) {
            try row.string("name")
        }
        #expect(PostgresQueryResult(commandTag: "INSERT 0 12").rowsAffected == 12)
        #expect(PostgresQueryResult(commandTag: "CREATE TABLE").rowsAffected == 0)
    }
}
