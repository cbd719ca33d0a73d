import CollabCore
import Foundation
import Storage
import Testing

@testable import RESTGateway

@Suite struct ThreatModelStoreDurableTests {
    static func tempDir() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tmi-store-\(UUIDText.random())"
        ).path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func reopenRecoversEveryWriteAcrossCompactions() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await ThreatModelStore.open(directory: dir, compactEvery: 7)
        let api = APIHarness(ThreatModelAPI.providers(store: store))
        let alice = AuthenticatedUser.make("alice")
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        for i in 0..<40 {
            var t = try #require(ChildRoutesTests.threat.objectValue)
            t["name"] = .string("t\(i)")
            #expect(
                await api.call("POST", "/threat_models/\(tm)/threats", as: alice, body: .object(t)).status
                    == 201)
        }
        #expect(
            await api.call(
                "POST", "/threat_models/\(tm)/metadata", as: alice, body: ["key": "k", "value": "v"]
            ).status == 201)
        let before = store.state
        await store.close()
        let reopened = try await ThreatModelStore.open(directory: dir)
        #expect(reopened.state == before)
        #expect(reopened.state.models[tm]?.collection(.threats).count == 40)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.contains("store.snapshot"), "compaction wrote a snapshot: \(files)")
    }
}
