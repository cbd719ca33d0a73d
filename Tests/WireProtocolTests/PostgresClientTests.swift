import Foundation
import Testing

@testable import WireProtocol

@Suite("PostgreSQL client against the test cluster", .serialized)
struct PostgresClientTests {
    @Test func scramLoginRunsAQuery() async throws {
        guard let client = PostgresLive.client() else { return }
        let result = try await client.query("SELECT current_user AS who, $1::int8 + 1 AS n", [41])
        await client.close()
        #expect(try result.rows.first?.string("who") == "tmi_test")
        #expect(try result.rows.first?.int("n") == 42)
    }

    @Test func wrongPasswordIsAnAuthenticationErrorWithoutThePassword() async throws {
        guard var configuration = PostgresLive.configuration() else { return }
        configuration.password = "not-the-Pa55word"
        let client = PostgresClient(configuration: configuration)
        do {
            try await client.ping()
            Issue.record("logged in with a wrong password")
        } catch {
            guard case .authentication = error else {
                Issue.record("expected an authentication error, got \(error)")
                return
            }
            #expect(error.description.contains("authentication failed"))
            #expect(!error.description.contains("not-the-Pa55word"))
        }
        await client.close()
    }

    @Test(arguments: [
        ("TMI_TEST_DATABASE_MD5_URL", "tmi_md5"), ("TMI_TEST_DATABASE_CLEARTEXT_URL", "tmi_clear"),
        ("TMI_TEST_DATABASE_TRUST_URL", "tmi_trust"),
    ])
    func otherAuthenticationMethodsLogIn(_ variable: String, _ user: String) async throws {
        guard let client = PostgresLive.client(variable) else { return }
        let who = try await client.query("SELECT current_user AS who").rows.first?.string("who")
        await client.close()
        #expect(who == user)
    }

    @Test func md5WithAWrongPasswordFails() async throws {
        guard var configuration = PostgresLive.configuration("TMI_TEST_DATABASE_MD5_URL") else { return }
        configuration.password = "wrong"
        let client = PostgresClient(configuration: configuration)
        await #expect(
            throws: PostgresError.authentication("password authentication failed for user \"tmi_md5\"")
        ) {
            try await client.ping()
        }
        await client.close()
    }

    @Test func typedValuesRoundTrip() async throws {
        guard let client = PostgresLive.client() else { return }
        let uuid = UUID()
        let date = Date(timeIntervalSinceReferenceDate: 786_000_000.123456)
        let bytes = (0...255).map(UInt8.init) + [0, 0]
        let values: [PostgresValue] = [
            .bool(true), .bool(false), .int16(-32768), .int32(.max), .int64(.min), .float64(0.1),
            .float64(-1e300), .float64(.infinity), .text("héllo 🌍 ✓ \u{2028} 'quoted' \\"), .text(""),
            .bytea(bytes),
            .bytea([]), .uuid(uuid), .json("{\"a\": [1, \"ü\"]}"), .jsonb("{\"a\": [1, \"ü\"]}"),
            .timestamptz(date),
        ]
        for value in values {
            let row = try #require(try await client.query("SELECT $1 AS v", [value]).rows.first)
            #expect(row["v"] == value, "\(value.typeName)")
        }
        let nulls = try await client.query(
            "SELECT NULL::int4 AS a, NULL::text AS b, NULL::bytea AS c, $1::uuid AS d, $2::timestamptz AS e",
            [nil, .null])
        #expect(nulls.rows.first?.values == [.null, .null, .null, .null, .null])
        // Text parameters are untyped: the server reads them as the column's type.
        let cast = try await client.query(
            "SELECT $1::uuid AS u, $2::numeric AS n", [.text(uuid.uuidString), "2.50"])
        #expect(cast.rows.first?["u"] == .uuid(uuid))
        #expect(cast.rows.first?["n"] == .other(typeOID: 1700, text: "2.50"))
        await client.close()
    }

    @Test func preparedStatementsAreReusedPerConnection() async throws {
        guard let client = PostgresLive.client(adjust: { $0.maxConnections = 1 }) else { return }
        let sql = "SELECT $1::int8 * 3 AS tripled"
        for n in 1...5 {
            #expect(try await client.query(sql, [.int(n)]).rows.first?.int("tripled") == n * 3)
        }
        let prepared = try await client.query(
            "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [.text(sql)])
        #expect(try prepared.rows.first?.int("n") == 1)
        // A statement that fails to parse is not cached: the next try parses it again.
        for _ in 0..<2 {
            await #expect(throws: PostgresError.self) {
                try await client.query("SELECT * FROM no_such_table")
            }
        }
        #expect(try await client.query("SELECT 1 AS one").rows.first?.int("one") == 1)
        await client.close()
    }

    @Test func transactionsCommitAndRollBack() async throws {
        guard let client = PostgresLive.client() else { return }
        let table = PostgresLive.tableName("tx")
        try await client.simpleQuery("CREATE TABLE \(table) (id int PRIMARY KEY, note text)")
        struct Boom: Error {}
        try await client.withTransaction { tx in
            try await tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [1, "kept"])
            try await tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [2, "kept too"])
        }
        await #expect(throws: Boom.self) {
            try await client.withTransaction { tx in
                try await tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [3, "rolled back"])
                throw Boom()
            }
        }
        // A failed statement whose error the body swallows: COMMIT becomes ROLLBACK, reported.
        await #expect(throws: PostgresError.transactionRolledBack) {
            try await client.withTransaction { tx in
                try await tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [4, "lost"])
                _ = try? await tx.execute("INSERT INTO \(table) VALUES ($1, $2)", [1, "duplicate"])
            }
        }
        // An atomic batch: the second statement fails, so the first is not kept either.
        await #expect(throws: PostgresError.self) {
            try await client.batch([
                PostgresQuery("INSERT INTO \(table) VALUES ($1, $2)", [5, "batch"]),
                PostgresQuery("INSERT INTO \(table) VALUES ($1, $2)", [1, "duplicate"]),
            ])
        }
        let ids = try await client.query("SELECT id FROM \(table) ORDER BY id").rows.map { try $0.int("id") }
        #expect(ids == [1, 2])
        try await client.simpleQuery("DROP TABLE \(table)")
        await client.close()
    }

    @Test func uniqueViolationSurfacesSQLStateAndConstraint() async throws {
        guard let client = PostgresLive.client() else { return }
        let table = PostgresLive.tableName("uniq")
        try await client.simpleQuery(
            "CREATE TABLE \(table) (email text CONSTRAINT \(table)_email_key UNIQUE)")
        try await client.execute("INSERT INTO \(table) VALUES ($1)", ["a@test.tmi"])
        do {
            try await client.execute("INSERT INTO \(table) VALUES ($1)", ["a@test.tmi"])
            Issue.record("duplicate accepted")
        } catch {
            guard case .server(let server) = error else {
                Issue.record("expected a server error, got \(error)")
                return
            }
            #expect(server.sqlState == "23505" && server.isUniqueViolation)
            #expect(server.constraint == "\(table)_email_key")
            #expect(server.severity == "ERROR")
            #expect(server.detail?.contains("already exists") == true)
            #expect(server.table == table)
        }
        // The connection is still fine, and simple-protocol scripts run several statements.
        let results = try await client.simpleQuery("SELECT count(*) FROM \(table); DROP TABLE \(table)")
        #expect(results.map(\.commandTag) == ["SELECT 1", "DROP TABLE"])
        await client.close()
    }

    @Test func concurrentQueriesArePipelinedOnTwoConnections() async throws {
        let application = "tmi-pipeline-\(UInt32.random(in: 0...UInt32.max))"
        guard
            let client = PostgresLive.client(adjust: {
                $0.maxConnections = 2
                $0.applicationName = application
            })
        else { return }
        let table = PostgresLive.tableName("pipe")
        try await client.simpleQuery("CREATE TABLE \(table) (n int8 PRIMARY KEY, label text)")
        let results = try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
            for n in 0..<200 {
                group.addTask {
                    let row = try await client.query(
                        "INSERT INTO \(table) VALUES ($1, $2) RETURNING n * 2 AS doubled, label",
                        [.int(n), .text("row \(n) ✓")]
                    ).rows.first
                    return (n, try row?.int("doubled") ?? -1, try row?.string("label") ?? "")
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 200)
        for (n, doubled, label) in results {
            #expect(doubled == n * 2 && label == "row \(n) ✓")
        }
        let count = try await client.query("SELECT count(*) AS n FROM \(table)").rows.first?.int("n")
        #expect(count == 200)
        let sessions = try await client.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [.text(application)])
        #expect(try sessions.rows.first?.int("n") ?? 99 <= 2)
        #expect(client.connectionCount <= 2)
        try await client.simpleQuery("DROP TABLE \(table)")
        await client.close()
    }

    @Test func errorsInOnePipelinedRequestDoNotLeakIntoOthers() async throws {
        guard let client = PostgresLive.client(adjust: { $0.maxConnections = 1 }) else { return }
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<60 {
                group.addTask {
                    let sql = n % 3 == 0 ? "SELECT 1 / ($1::int8 - $1::int8) AS v" : "SELECT $1::int8 AS v"
                    do {
                        let v = try await client.query(sql, [.int(n)]).rows.first?.int("v")
                        return (n, v == n)
                    } catch {
                        return (n, (error as? PostgresError)?.sqlState == "22012")
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 60 && outcomes.allSatisfy { $0.1 })
        await client.close()
    }

    @Test func timeoutCancelsTheQueryAndTheConnectionStaysUsable() async throws {
        guard let client = PostgresLive.client(adjust: { $0.maxConnections = 1 }) else { return }
        let pid = try await client.query("SELECT pg_backend_pid() AS pid").rows.first?.int("pid")
        await #expect(throws: PostgresError.timedOut) {
            try await client.query("SELECT pg_sleep(60)", timeout: .milliseconds(200))
        }
        // Behind the cancelled sleep on the same connection: answers long before the sleep
        // would have ended only if the CancelRequest stopped it.
        let after = try await client.query("SELECT pg_backend_pid() AS pid", timeout: .seconds(30))
        #expect(try after.rows.first?.int("pid") == pid)
        #expect(client.connectionCount == 1)
        await client.close()
    }

    @Test func taskCancellationCancelsTheQuery() async throws {
        guard let client = PostgresLive.client(adjust: { $0.maxConnections = 1 }) else { return }
        try await client.ping()
        let sleeper = Task { try await client.query("SELECT pg_sleep(60)") }
        // Wait (without sleeping) until the server is running the sleep, then cancel the task.
        var seen = false
        let watcher = PostgresLive.client()
        for _ in 0..<500 where !seen {
            let n = try await watcher?.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'"
            ).rows.first?.int("n")
            seen = (n ?? 0) > 0
        }
        #expect(seen)
        sleeper.cancel()
        await #expect(throws: PostgresError.cancelled) { try await sleeper.value }
        #expect(try await client.query("SELECT 2 AS two", timeout: .seconds(30)).rows.first?.int("two") == 2)
        await watcher?.close()
        await client.close()
    }

    @Test func refusesSQLWithANULByte() async throws {
        guard let client = PostgresLive.client() else { return }
        await #expect(throws: PostgresError.invalidQuery("the SQL contains a NUL byte")) {
            try await client.query("SELECT 1\u{0}")
        }
        await client.close()
    }

    /// `sslmode=require`: SSLRequest, then TLS without verifying the (private-CA) certificate.
    @Test func sslmodeRequireEncrypts() async throws {
        guard var configuration = PostgresLive.configuration() else { return }
        configuration.tlsMode = .require
        let client = PostgresClient(configuration: configuration)
        let row = try await client.query(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).rows.first
        #expect(try row?.bool("ssl") == true)
        #expect(try row?.string("version").hasPrefix("TLS") == true)
        // Pipelining and typed values work the same over TLS.
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<50 {
                group.addTask {
                    try await client.query("SELECT $1::int8 + 1 AS n", [.int(n)]).rows.first?.int("n") ?? -1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(sums == (1...50).reduce(0, +))
        await client.close()
    }

    /// `verify-full` with the cluster's CA (`sslrootcert`) connects; with only the system's
    /// roots the private certificate is rejected, naming verification.
    @Test func sslmodeVerifyFullChecksTheCertificate() async throws {
        guard var configuration = PostgresLive.configuration("TMI_TEST_DATABASE_TLS_URL") else { return }
        #expect(configuration.tlsMode == .verifyFull && configuration.tlsRootCertificateFile != nil)
        let client = PostgresClient(configuration: configuration)
        let ssl = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").rows
            .first
        #expect(try ssl?.bool("ssl") == true)
        await client.close()

        configuration.tlsRootCertificateFile = nil
        let untrusted = PostgresClient(configuration: configuration)
        do {
            try await untrusted.ping()
            Issue.record("a certificate from a private CA was accepted with the system roots")
        } catch {
            guard case .connectionFailed(let reason) = error else {
                Issue.record("expected connectionFailed, got \(error)")
                return
            }
            #expect(reason.contains("certificate verification failed"))
            #expect(configuration.password.map { !reason.contains($0) } ?? true)
        }
        await untrusted.close()
    }

    @Test func closedClientRefusesRequests() async throws {
        guard let client = PostgresLive.client() else { return }
        try await client.ping()
        await client.close()
        await #expect(throws: PostgresError.closed) { try await client.ping() }
    }
}
