import Foundation
import Synchronization
import TestSupport
import Testing
import WireProtocol

@testable import Cluster

/// Directories for tests: short TTLs (4 s: at 2 s a starved test process on a loaded machine
/// could miss a renewal, and readiness checks turned false), a key prefix unique to the test (so tests share one Redis
/// without seeing each other), and the Redis clients closed at the end.
final class DirectoryHarness: Sendable {
    let url: String
    let prefix = "t\(UUID().uuidString.prefix(8)):"
    let clients = Mutex<[RedisClient]>([])
    let directories = Mutex<[ClusterDirectory]>([])

    init(url: String) { self.url = url }

    func configuration(ttl: Duration = .seconds(4)) -> ClusterDirectoryConfiguration {
        var c = ClusterDirectoryConfiguration()
        c.leaseTTL = ttl
        c.nodeTTL = ttl
        c.keyPrefix = prefix
        return c
    }

    func redis() throws -> RedisClient {
        var configuration = try RedisConfiguration(url: url)
        configuration.reconnectBackoff = (.milliseconds(20), .milliseconds(200))
        configuration.commandTimeout = .seconds(2)
        let client = RedisClient(configuration: configuration)
        clients.withLock { $0.append(client) }
        return client
    }

    func directory(
        _ id: String, ttl: Duration = .seconds(4), start: Bool = true,
        adjust: (inout ClusterDirectoryConfiguration) -> Void = { _ in }
    ) async throws -> ClusterDirectory {
        var configuration = configuration(ttl: ttl)
        adjust(&configuration)
        let directory = ClusterDirectory(
            redis: try redis(),
            node: try ClusterNode(id: id, advertiseURL: "http://127.0.0.1:1\(id.utf8.count)0/\(id)"),
            configuration: configuration)
        directories.withLock { $0.append(directory) }
        if start { try await directory.start() }
        return directory
    }

    func close() async {
        for directory in directories.withLock({ $0 }) { await directory.stop() }
        for client in clients.withLock({ $0 }) { await client.close() }
    }

    /// Runs `body` with a harness on the shared Redis (or a dedicated one) and cleans up.
    static func run(_ body: (DirectoryHarness) async throws -> Void) async throws {
        guard RedisTestServer.shouldRun else { return }
        let (url, owned) = try await RedisTestServer.sharedOrStart()
        let harness = DirectoryHarness(url: url)
        do {
            try await body(harness)
        } catch {
            Issue.record("\(error)")
        }
        await harness.close()
        await owned?.remove()
    }
}

/// Records `onLost` calls.
final class LossRecorder: Sendable {
    let reasons = Mutex<[LeaseLossReason]>([])
    var callback: @Sendable (DiagramLease, LeaseLossReason) -> Void {
        { [self] _, reason in reasons.withLock { $0.append(reason) } }
    }
}

extension LeaseAcquisition {
    var lease: DiagramLease? {
        if case .acquired(let lease) = self { return lease }
        return nil
    }

    var owner: DiagramOwner? {
        if case .ownedBy(let owner) = self { return owner }
        return nil
    }
}
