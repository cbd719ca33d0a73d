import CollabCore
import FoundationEssentials
import Glibc
import Storage
import Testing

@testable import Identity

/// `tokens.json` plus `tokens.journal` (`JournaledFile`): what is flushed is what is read back,
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

        func open(minimumCompaction: Int = 64 * 1024) throws -> JournaledFile<TokenLedger> {
            try open(name: "tokens", minimumCompaction: minimumCompaction)
        }

        func open<Content>(name: String, minimumCompaction: Int = 64 * 1024) throws -> JournaledFile<Content>
        {
            JournaledFile(
                directory: directory, name: name, io: io, loaded: try load(name),
                minimumCompaction: minimumCompaction)
        }

        func load<Content>(_ name: String = "tokens") throws -> JournaledFile<Content>.Loaded {
            try JournaledFile.load(directory: directory, name: name)
        }

        func read() throws -> TokenLedger { try load().content }
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
        let loaded: JournaledFile<TokenLedger>.Loaded = try fixture.load()
        #expect(loaded.skippedLines == 1)
        #expect(loaded.content == ledger)
        let reopened = try fixture.open()
        ledger.revokeFamily("f1")
        reopened.stage(ledger, changes: ledger.takeChanges())
        try await reopened.flush()
        #expect(fixture.bytes(fixture.journal) == nil)
        #expect(try fixture.read() == ledger)
        #expect(try (fixture.load() as JournaledFile<TokenLedger>.Loaded).skippedLines == 0)
    }

    /// A snapshot whose mark does not read is refused rather than read as "nothing journaled",
    /// which would replay lines the snapshot already holds.
    @Test func aSnapshotWithAnUnreadableMarkIsRefused() throws {
        let fixture = try Fixture()
        var bytes = TokenLedger().encoded()
        bytes.removeLast()
        bytes += Array(#","journalSequence":"seven"}"#.utf8)
        #expect(FileManager.default.createFile(atPath: fixture.snapshot, contents: Data(bytes)))
        #expect(throws: DecodingError.self) { try fixture.load() as JournaledFile<TokenLedger>.Loaded }
    }

    /// `tokens.json` as earlier versions wrote it (no journal sequence, no journal) reads as it was.
    @Test func aSnapshotFromBeforeTheJournalReadsBack() async throws {
        let fixture = try Fixture()
        var ledger = TokenLedger()
        ledger.startFamily("f", userID: "u")
        ledger.addRefreshToken(hash: "h", family: "f", userID: "u", expiresAt: 5)
        ledger.revokeAccessToken(jti: "j", expiresAt: 7)
        #expect(FileManager.default.createFile(atPath: fixture.snapshot, contents: Data(ledger.encoded())))
        let loaded: JournaledFile<TokenLedger>.Loaded = try fixture.load()
        #expect(loaded.content == ledger)
        #expect(loaded.sequence == 0)
        let file = try fixture.open()
        ledger.revokeFamily("f")
        file.stage(ledger, changes: ledger.takeChanges())
        try await file.flush()
        #expect(try fixture.read() == ledger)
    }
}

/// `users.json` plus `users.journal`: a first login appends the new user instead of rewriting every
/// user, what is flushed is what is read back, and the array written before the journal still
/// reads.
@Suite struct UsersJournalTests {
    typealias Fixture = TokenLedgerFileTests.Fixture

    func read(_ fixture: Fixture) throws -> [UserRecord] {
        (try fixture.load("users") as JournaledFile<UserRegistry>.Loaded).content.all
    }

    /// A first login, a login that changes name or email, or a new identity linked by a verified
    /// email (to a user whose email may have changed meanwhile).
    static func login(_ users: inout UserRegistry, _ random: inout SeededRandom, step: Int) {
        let subject = "s\(random.below(40))"
        let email = "person\(random.below(25))@example.com"
        _ = users.login(
            identity: LinkedIdentity(provider: random.below(2) == 0 ? "test" : "google", subject: subject),
            email: random.below(3) == 0 ? email.uppercased() : email, name: "Name \(random.below(4))",
            emailVerified: random.below(2) == 0, now: Int64(step), newID: { "user-\(step)" })
    }

    @Test(arguments: [1, 2, 3]) func everyFlushReadsBackWhetherJournaledOrSnapshotted(seed: UInt64)
        async throws
    {
        let fixture = try Fixture()
        let file: JournaledFile<UserRegistry> = try fixture.open(name: "users", minimumCompaction: 2048)
        var users = UserRegistry()
        var random = SeededRandom(seed: seed)
        var journaled = 0
        var snapshotted = 0
        for step in 0..<300 {
            Self.login(&users, &random, step: step)
            file.stage(users, changes: users.takeChanges())
            try await file.flush()
            if fixture.bytes(fixture.directory + "/users.journal") == nil {
                snapshotted += 1
            } else {
                journaled += 1
            }
            #expect(try read(fixture) == users.all, "step \(step)")
        }
        #expect(journaled > 0 && snapshotted > 0)
    }

    @Test func aFirstLoginAppendsTheUserNotEveryUser() async throws {
        let fixture = try Fixture()
        var users = UserRegistry()
        for i in 0..<500 {
            _ = users.login(
                identity: LinkedIdentity(provider: "test", subject: "u\(i)"), email: "u\(i)@example.com",
                name: "User \(i)", emailVerified: true, now: Int64(i), newID: { "id-\(i)" })
        }
        let snapshot = fixture.directory + "/users.json"
        #expect(FileManager.default.createFile(atPath: snapshot, contents: Data(users.encoded())))
        _ = users.takeChanges()
        let file: JournaledFile<UserRegistry> = try fixture.open(name: "users")
        let before = try #require(fixture.bytes(snapshot))
        _ = users.login(
            identity: LinkedIdentity(provider: "test", subject: "new"), email: "new@example.com", name: "New",
            emailVerified: true, now: 1000, newID: { "id-new" })
        file.stage(users, changes: users.takeChanges())
        try await file.flush()
        #expect(fixture.bytes(snapshot) == before)
        let journal = try #require(fixture.bytes(fixture.directory + "/users.journal"))
        #expect(
            journal.count < 1024, "\(journal.count) bytes appended beside a \(before.count)-byte snapshot")
        #expect(try read(fixture) == users.all)
    }

    /// `users.json` as earlier versions wrote it: a bare array of users, no journal.
    @Test func theArrayFromBeforeTheJournalReadsBack() async throws {
        let fixture = try Fixture()
        let old = [
            UserRecord(
                id: "a", email: "a@example.com", name: "A",
                identities: [LinkedIdentity(provider: "test", subject: "a")],
                createdAt: 1)
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(
            FileManager.default.createFile(
                atPath: fixture.directory + "/users.json", contents: try encoder.encode(old)))
        #expect(try read(fixture) == old)
        var users = (try fixture.load("users") as JournaledFile<UserRegistry>.Loaded).content
        let file: JournaledFile<UserRegistry> = try fixture.open(name: "users")
        _ = users.login(
            identity: LinkedIdentity(provider: "google", subject: "g"), email: "A@example.com", name: "",
            emailVerified: true, now: 2, newID: { "b" })
        file.stage(users, changes: users.takeChanges())
        try await file.flush()
        let back = try read(fixture)
        #expect(back.map(\.id) == ["a"])
        #expect(back.first?.identities.count == 2)
    }

    /// The email index follows a change of email: the old address no longer links, the new one does.
    @Test func aVerifiedEmailLinksTheUserWhoHasItNow() {
        var users = UserRegistry()
        func login(_ provider: String, _ subject: String, _ email: String, id: String) -> String {
            users.login(
                identity: LinkedIdentity(provider: provider, subject: subject), email: email, name: "",
                emailVerified: true, now: 0, newID: { id }
            ).user.id
        }
        #expect(login("test", "x", "old@example.com", id: "u1") == "u1")
        #expect(login("test", "x", "new@example.com", id: "unused") == "u1")
        #expect(login("google", "y", "OLD@example.com", id: "u2") == "u2")
        #expect(login("github", "z", "New@Example.com", id: "u3") == "u1")
        #expect(users.user(email: "old@example.com")?.id == "u2")
    }
}
