import CollabCore
import Foundation
import RESTGateway
import Testing
import WireProtocol

/// Every (method, path, status) of `reference/endpoints.md` except 500, each as one request of a
/// real client over HTTP against the whole product with its real identity service. The contract
/// file is read at run time: a line with no row here fails the test, so the table cannot fall
/// behind it, and a row for something the file does not list fails too.
@Suite struct EndpointTableTests {
    @Test(arguments: TestStore.all)
    func everyListedStatusIsAnsweredExactly(store: TestStore) async throws {
        defer { Task { await store.destroy() } }
        let world = try await EndpointWorld.start(store: store)
        let table = EndpointTable.scenarios
        // Rows are independent (state-changing ones get a fresh fixture): run a few at a time.
        let results = try await withThrowingTaskGroup(of: (EndpointScenario, Reply).self) { group in
            var out: [(EndpointScenario, Reply)] = []
            var pending = table[...]
            func next() {
                guard let s = pending.popFirst() else { return }
                group.addTask { (s, try await s.run(world)) }
            }
            for _ in 0..<4 { next() }
            while let done = try await group.next() {
                out.append(done)
                next()
            }
            return out
        }
        for (s, reply) in results {
            #expect(
                reply.status == s.status,
                "\(s.method) \(s.path): expected \(s.status), got \(reply.status) \(reply.json)")
        }
        await world.server.stop()
    }

    @Test func theTableCoversExactlyTheContract() throws {
        let listed = try ContractFile.statuses()
        #expect(listed.count > 250, "endpoints.md parsed to only \(listed.count) statuses")
        let covered = Set(EndpointTable.scenarios.map(\.key))
        let missing = listed.subtracting(covered).sorted()
        #expect(missing.isEmpty, "endpoints.md lines with no scenario: \(missing)")
        let extra = covered.subtracting(listed).sorted()
        #expect(extra.isEmpty, "scenarios for statuses endpoints.md does not list: \(extra)")
    }

    @Test func theContractParserReadsEveryStatusOfALine() {
        let parsed = ContractFile.statuses(
            in: "## X\n- GET /a/{id} → 200, 401, 500\n- not a line\n- POST /b → 201\n")
        #expect(parsed == ["GET /a/{id} 200", "GET /a/{id} 401", "POST /b 201"])
    }
}

/// `reference/endpoints.md`, found beside the repository (`shared/` next to the clone or an
/// ancestor of it, as in CI and in the development tree).
enum ContractFile {
    struct NotFound: Error { var searchedFrom: String }

    static func url() throws -> URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            dir = dir.deletingLastPathComponent()
            let candidate = dir.appendingPathComponent("shared/reference/endpoints.md")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        throw NotFound(searchedFrom: #filePath)
    }

    /// Every `METHOD PATH STATUS` the file lists, except 500 (which no client input may reach).
    static func statuses() throws -> Set<String> {
        statuses(in: try String(contentsOf: url(), encoding: .utf8))
    }

    static func statuses(in text: String) -> Set<String> {
        var out: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix("- ") {
            let parts = line.dropFirst(2).components(separatedBy: " → ")
            guard parts.count == 2 else { continue }
            let route = parts[0].split(separator: " ")
            guard route.count == 2 else { continue }
            for code in parts[1].split(separator: ",") {
                let status = code.trimmingCharacters(in: .whitespaces)
                if status != "500" { out.insert("\(route[0]) \(route[1]) \(status)") }
            }
        }
        return out
    }
}
