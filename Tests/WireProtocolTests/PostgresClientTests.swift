import Foundation
import Testing

@testable import WireProtocol

@Suite("PostgreSQL client against the test cluster")
struct PostgresClientTests {
    @Test func scramLoginRunsAQuery() async throws {
        guard let client = PostgresLive.client() else { return }
        defer { Task { await client.close() } }
        let result = try await client.query("SELECT current_user AS who, $1::int8 + 1 AS n", [41])
        #expect(try result.rows.first?.string("who") == "tmi_test")
        #expect(try result.rows.first?.int("n") == 42)
    }
}
