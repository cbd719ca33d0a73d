import CollabCore
import FoundationEssentials
import Glibc
import Storage
import Testing

@testable import Identity

/// `tokens.json` plus `tokens.journal` (`TokenLedgerFile`): what is flushed is what is read back,
/// a change is appended rather than the whole ledger rewritten, and neither a crash between a
/// snapshot and the journal's removal nor a torn line changes what is read back.
@Suite struct TokenLedgerFileTests {
    final class Fixture: Sendable {
        let directory: String
        let io: IOThread

        init() throws {
            directory =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "tmi-ledger-\(UInt64.random(in: 0...UInt64.max))"
                ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            io = try IOThread(name: "test-ledger")
        }

        deinit {
            io.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func open(minimumCompaction: Int = 64 * 1024) throws -> TokenLedgerFile {
            TokenLedgerFile(
                directory: directory, io: io, loaded: try TokenLedgerFile.load(directory: directory),
                minimumCompaction: minimumCompaction)
        }

        func read() throws -> TokenLedger { try TokenLedgerFile.load(directory: directory).ledger }
        var journal: String { directory + "/tokens.journal" }
        var snapshot: String { directory + "/tokens.json" }
        func bytes(_ path: String) -> [UInt8]? {
            FileManager.default.contents(atPath: path).map { Array($0) }
        }
    }

    /// A login, a refresh, a revocation or a prune: a small random change to `ledger`.
    static func change(_ ledger: inout TokenLedger, _ random: inout SeededRandom, step: Int) {
        switch random.below(6) {
        case 0, 1:
            let family = "family-\(step)"
            ledger.startFamily(family, userID: "user-\(random.below(20))")
            ledger.addRefreshToken(hash: "hash-\(step)", family: family, userID: "u", expiresAt: Int64(step))
            ledger.recordAccessToken(jti: "jti-\(step)", expiresAt: Int64(step), family: family)
        case 2:
            if let hash = ledger.refreshTokens.keys.sorted().randomElement(using: &random) {
                _ = ledger.spend(hash: hash, now: 0)
            }
        case 3:
            if let family = ledger.families.keys.sorted().randomElement(using: &random) {
                ledger.revokeFamily(family)
            }
        case 4:
            ledger.revokeAccessToken(jti: "revoked-\(random.below(30))", expiresAt: Int64(step))
        default:
            ledger.prune(now: Int64(step - 40), leeway: 0)
        }
    }

    @Test(arguments: [1, 2, 3]) func everyFlushReadsBackWhetherJournaledOrSnapshotted(seed: UInt64)
        async throws
    {
        let fixture = try Fixture()
        let file = try fixture.open(minimumCompaction: 4_096)
        var random = SeededRandom(seed: seed)
        var ledger = TokenLedger()
        var appended = 0
        var snapshots = 0
        for step in 0..<300 {
            Self.change(&ledger, &random, step: step)
            let before = fixture.bytes(fixture.snapshot)
            file.stage(ledger, changes: ledger.takeChanges())
            try await file.flush()
            if fixture.bytes(fixture.snapshot) != before { snapshots += 1 } else { appended += 1 }
            #expect(try fixture.read() == ledger, "step \(step)")
        }
        #expect(snapshots > 0 && appended > snapshots, "\(snapshots) snapshots, \(appended) appends")
    }

    @Test func aChangeIsAppendedNotTheWholeLedgerRewritten() async throws {
        let fixture = try Fixture()
        var ledger = TokenLedger()
        for i in 0..<2_000 {
            ledger.startFamily("f\(i)", userID: "user-\(i)")
            ledger.addRefreshToken(hash: "h\(i)", family: "f\(i)", userID: "user-\(i)", expiresAt: 1)
        }
        let first = try fixture.open()
        first.stage(ledger, changes: ledger.takeChanges())
        try await first.compact()
        let snapshot = try #require(fixture.bytes(fixture.snapshot))
        #expect(snapshot.count > 200_000)
        #expect(fixture.bytes(fixture.journal) == nil)
        // One login: a few hundred bytes appended, the snapshot untouched.
        let file = try fixture.open()
        ledger.startFamily("new", userID: "someone")
        ledger.addRefreshToken(hash: "new-hash", family: "new", userID: "someone", expiresAt: 9)
        file.stage(ledger, changes: ledger.takeChanges())
        try await file.flush()
        #expect(fixture.bytes(fixture.snapshot) == snapshot)
        let journal = try #require(fixture.bytes(fixture.journal))
        #expect(journal.count < 1_000)
        #expect(try fixture.read() == ledger)
    }

    /// A crash after the new snapshot was renamed into place but before the journal was removed
    /// leaves the old journal beside a snapshot that already includes it: replaying it would
    /// bring back what the newest change removed (here a revoked family).
    @Test func aCrashBetweenSnapshotAndJournalRemovalReplaysNothingTwice() async throws {
        let fixture = try Fixture()
        let file = try fixture.open()
        var ledger = TokenLedger()
        for i in 0..<5 {
            ledger.startFamily("f\(i)", userID: "u")
            ledger.addRefreshToken(hash: "h\(i)", family: "f\(i)", userID: "u", expiresAt: 1)
            file.stage(ledger, changes: ledger.takeChanges())
            try await file.flush()
        }
        let oldJournal = try #require(fixture.bytes(fixture.journal))
        ledger.revokeFamily("f2")
        file.stage(ledger, changes: ledger.takeChanges())
        try await file.compact()
        #expect(fixture.bytes(fixture.journal) == nil)
        // The crash: the removed journal is back.
        #expect(FileManager.default.createFile(atPath: fixture.journal, contents: Data(oldJournal)))
        let read = try fixture.read()
        #expect(read == ledger)
        #expect(read.families["f2"] == nil)
        // Appending after it still reads back.
        let reopened = try fixture.open()
        ledger.startFamily("f9", userID: "u")
        reopened.stage(ledger, changes: ledger.takeChanges())
        try await reopened.flush()
        #expect(try fixture.read() == ledger)
    }

    /// A write cut short by a crash leaves a line that does not parse: it is skipped (it was
    /// never acknowledged), and the next flush writes a snapshot rather than append after it.
    @Test func aTornLineIsSkippedAndTheNextFlushStartsAfresh() async throws {
        let fixture = try Fixture()
        let file = try fixture.open()
        var ledger = TokenLedger()
        for i in 0..<3 {
            ledger.startFamily("f\(i)", userID: "u")
            file.stage(ledger, changes: ledger.takeChanges())
            try await file.flush()
        }
        let fd = open(fixture.journal, O_WRONLY | O_APPEND)
        #expect(fd >= 0)
        // A line starts with its newline, so a torn write is a line of its own.
        let torn = Array("\n".utf8) + Array(#"{"sequence":4,"families":{"torn":{"userID":"#.utf8)
        #expect(torn.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == torn.count)
        close(fd)
        let loaded = try TokenLedgerFile.load(directory: fixture.directory)
        #expect(loaded.skippedLines == 1)
        #expect(loaded.ledger == ledger)
        let reopened = try fixture.open()
        ledger.revokeFamily("f1")
        reopened.stage(ledger, changes: ledger.takeChanges())
        try await reopened.flush()
        #expect(fixture.bytes(fixture.journal) == nil)
        #expect(try fixture.read() == ledger)
        #expect(try TokenLedgerFile.load(directory: fixture.directory).skippedLines == 0)
    }

    /// `tokens.json` as earlier versions wrote it (no journal sequence, no journal) reads as it was.
    @Test func aSnapshotFromBeforeTheJournalReadsBack() async throws {
        let fixture = try Fixture()
        var ledger = TokenLedger()
        ledger.startFamily("f", userID: "u")
        ledger.addRefreshToken(hash: "h", family: "f", userID: "u", expiresAt: 5)
        ledger.revokeAccessToken(jti: "j", expiresAt: 7)
        #expect(FileManager.default.createFile(atPath: fixture.snapshot, contents: Data(ledger.encoded())))
        let loaded = try TokenLedgerFile.load(directory: fixture.directory)
        #expect(loaded.ledger == ledger)
        #expect(loaded.sequence == 0)
        let file = try fixture.open()
        ledger.revokeFamily("f")
        file.stage(ledger, changes: ledger.takeChanges())
        try await file.flush()
        #expect(try fixture.read() == ledger)
    }
}
