import Foundation
import WireProtocol

/// The PostgreSQL that tests run against: `TMI_TEST_DATABASE_URL` (`scripts/pg-test-cluster
/// start` prints it; `.ci/run` exports it). Each test takes a schema of its own in that database,
/// so tests run in parallel without seeing each other's rows, and drops it when done.
///
/// Without the URL, tests that need PostgreSQL must fail when `CI` is set and may skip locally:
/// `TestDatabase.availability` says which, with the reason to print.
public enum TestDatabase {
    public typealias Missing = TestService.Missing

    public static let availability = TestServiceAvailability.decide(
        "PostgreSQL", present: TestService.configured("TMI_TEST_DATABASE_URL") != nil,
        reason:
            "TMI_TEST_DATABASE_URL is not set (run `eval \"$(scripts/pg-test-cluster start)\"` to get one)")

    /// The URL when PostgreSQL tests should run.
    public static var url: String? { TestService.configured("TMI_TEST_DATABASE_URL") }

    /// True when the PostgreSQL variants of tests should be listed: a database is configured, or
    /// CI demands one (the variant then fails on `requireURL`).
    public static var shouldRun: Bool { availability.shouldRun }

    /// The URL, or an error naming what is missing (used where CI must fail).
    public static func requireURL() throws -> String {
        try availability.require()
        return url ?? ""
    }

    /// A fresh schema name for one test (`t_` + 24 hex digits).
    public static func freshSchema() -> String {
        "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
    }

    /// Drops a schema a test created, with everything in it (best effort).
    public static func dropSchema(_ schema: String) async {
        guard let url, schema.hasPrefix("t_"), schema.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
        else { return }
        guard let client = try? PostgresClient(url: url) else { return }
        _ = try? await client.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        await client.close()
    }
}
