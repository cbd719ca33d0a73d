import Foundation
import TestSupport
import Testing

@testable import WireProtocol

@Suite("PostgreSQL pool across a server restart", .serialized)
struct PostgresReconnectTests {
    @Test func poolFailsFastWhileTheServerIsDownAndReconnectsWhenItIsBack() async throws {
        // Gated like every live test; the cluster itself is a dedicated one.
        guard PostgresLive.url() != nil else { return }
        let cluster = try await PostgresTestCluster.start()
        do {
            try await exercise(cluster)
        } catch {
            Issue.record("\(error)")
        }
        await cluster.remove()
    }

    private func exercise(_ cluster: PostgresTestCluster) async throws {
        var configuration = try PostgresConfiguration(url: cluster.url)
        configuration.maxConnections = 2
        configuration.reconnectBackoff = (.milliseconds(20), .milliseconds(250))
        configuration.connectTimeout = .seconds(5)
        let client = PostgresClient(configuration: configuration)
        try await client.simpleQuery("CREATE TABLE survivors (n int PRIMARY KEY)")
        try await client.execute("INSERT INTO survivors VALUES ($1)", [1])

        try await cluster.halt()
        // Under load while it is down: every request fails as "unavailable", none hangs.
        let failures = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<50 {
                group.addTask {
                    do {
                        try await client.execute("INSERT INTO survivors VALUES ($1)", [.int(100 + n)])
                        return false
                    } catch {
                        return (error as? PostgresError)?.isUnavailable == true
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(failures.count == 50 && failures.allSatisfy { $0 })
        #expect(!client.isAvailable)

        try await cluster.resume()
        try await client.waitUntilAvailable(timeout: .seconds(60))
        #expect(client.isAvailable)
        try await client.execute("INSERT INTO survivors VALUES ($1)", [2])
        let rows = try await client.query("SELECT n FROM survivors ORDER BY n").rows.map { try $0.int("n") }
        #expect(rows == [1, 2])
        await client.close()
    }
}
