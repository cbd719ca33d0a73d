import Foundation
import Storage
import StoragePostgres
import TestSupport

/// A backend the conformance suite runs against. `open(key)` opens the store named `key`, empty
/// the first time and with everything durable since on every later call (a restart).
struct BackendUnderTest: Sendable, CustomStringConvertible {
    let description: String
    let open: @Sendable (_ key: String) async throws -> ThreatModelStore
    let destroy: @Sendable (_ key: String) async -> Void

    /// Every backend to test: the embedded store always; PostgreSQL when `TMI_TEST_DATABASE_URL`
    /// is set, or in CI (where its tests then fail, naming the missing variable).
    static var all: [BackendUnderTest] { TestDatabase.shouldRun ? [embedded, postgres] : [embedded] }

    static let embedded = BackendUnderTest(
        description: "embedded",
        open: { key in try await ThreatModelStore.open(directory: directory(key), compactEvery: 5) },
        destroy: { key in try? FileManager.default.removeItem(atPath: directory(key)) })

    static let postgres = BackendUnderTest(
        description: "postgresql",
        open: { key in
            let (backend, state) = try await PostgresStore.open(
                url: try TestDatabase.requireURL(), schema: key)
            return ThreatModelStore(state: state, backend: backend)
        },
        destroy: { key in await TestDatabase.dropSchema(key) })

    static func directory(_ key: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tmi-conformance-\(key)").path
    }

    /// A fresh key (a directory name and a PostgreSQL schema at once).
    static func freshKey() -> String { TestDatabase.freshSchema() }
}

/// The conformance tests' refusal type (the gateway's is `APIError`).
struct ConformanceRefusal: Error, Equatable {
    var reason: String
}

extension ThreatModelStore {
    /// `write` with the conformance tests' error type.
    @discardableResult
    func conformanceWrite<T>(_ body: (StoreState) throws(ConformanceRefusal) -> (T, [StoreMutation]))
        async throws(ConformanceRefusal) -> T
    {
        try await write(body, unavailable: { ConformanceRefusal(reason: $0.reason) })
    }

    /// Commits `batch` durably.
    func put(_ batch: [StoreMutation]) async throws {
        try await conformanceWrite { _ throws(ConformanceRefusal) in ((), batch) }
    }
}
