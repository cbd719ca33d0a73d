import Foundation
import TestSupport
import Testing

/// A PostgreSQL store that cannot be opened stops `tmi-server` at start with exit status 2 and
/// one line naming the problem, never the password (issue 13, "Bad input and faults").
@Suite struct StoreStartupEndToEndTests {
    /// Runs `tmi-server` with `arguments` until it exits; its status and stderr.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let binary = try #require(ServerBinary.path)
        let directory = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--port", "0", "--data-dir", directory] + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return await ChildServer.onThread {
            let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
    }

    static let secret = "s3cr3t-Pa55word"

    @Test(.enabled(if: ServerBinary.path != nil, "tmi-server is not built beside the tests (swift build)"))
    func anUnreachableOrMalformedDatabaseStopsTheStart() async throws {
        let refused = try await Self.run(["--database-url", "postgres://tmi:\(Self.secret)@127.0.0.1:1/tmi"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("cannot connect to PostgreSQL"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(Self.secret))
        let malformed = try await Self.run([
            "--database-url", "postgres://tmi:\(Self.secret)@127.0.0.1:notaport/tmi",
        ])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("database URL"), "\(malformed.stderr)")
        #expect(!malformed.stderr.contains(Self.secret))
        let notPostgres = try await Self.run(["--database-url", "mysql://tmi:\(Self.secret)@127.0.0.1/tmi"])
        #expect(notPostgres.status == 2)
        #expect(!notPostgres.stderr.contains(Self.secret))
    }

    @Test(
        .enabled(if: ServerBinary.path != nil, "tmi-server is not built beside the tests (swift build)"),
        .enabled(if: TestDatabase.shouldRun, "no PostgreSQL: TMI_TEST_DATABASE_URL is not set"))
    func aWrongPasswordStopsTheStartWithoutShowingIt() async throws {
        let url = try TestDatabase.requireURL()
        // Same user, host and database, another password.
        guard let at = url.lastIndex(of: "@"), let colon = url[..<at].lastIndex(of: ":") else {
            Issue.record("TMI_TEST_DATABASE_URL has no password to change")
            return
        }
        let wrong = String(url[...colon]) + Self.secret + String(url[at...])
        let outcome = try await Self.run(["--database-url", wrong])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("authentication failed"), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains(Self.secret))
    }
}
