import CollabCore
import Testing

@testable import RESTGateway

/// Contract defect (issue 12): `POST .../metadata` answered 201 without the `Location` header
/// every other create sends. The header must name the new entry, so a GET on it finds the value.
@Suite struct MetadataLocationTests {
    let alice = AuthenticatedUser.make("alice")

    /// The metadata collection of a threat model and of one child of each kind.
    func owners(_ api: APIHarness) async throws -> [String] {
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let children: [(String, JSONValue)] = [
            ("threats", ChildRoutesTests.threat),
            ("documents", ["name": "Spec", "url": "https://example.com/spec"]),
            ("sources", ["url": "https://git.example.com/repo.git", "type": "git"]),
            ("diagrams", ["name": "DFD", "type": "DFD-1.0.0"]),
        ]
        var paths = ["/threat_models/\(tm)"]
        for (kind, body) in children {
            let r = await api.call("POST", "/threat_models/\(tm)/\(kind)", as: alice, body: body)
            #expect(r.status == 201, "\(kind)")
            paths.append("/threat_models/\(tm)/\(kind)/\(try #require(r.json["id"]?.stringValue))")
        }
        return paths
    }

    @Test func createSendsTheEntrysLocation() async throws {
        let (api, _) = APIHarness.make()
        for owner in try await owners(api) {
            let r = await api.call(
                "POST", "\(owner)/metadata", as: alice, body: ["key": "env", "value": "prod"])
            #expect(r.status == 201, "\(owner)")
            #expect(r.headers["Location"] == "\(owner)/metadata/env")
            let fetched = await api.call("GET", try #require(r.headers["Location"]), as: alice)
            #expect(fetched.status == 200)
            #expect(fetched.json["value"] == "prod")
        }
    }

    /// A key may contain `/`: the header encodes it as one segment, and it still resolves.
    @Test func aKeyWithASlashIsEncodedAsOneSegment() async throws {
        let (api, _) = APIHarness.make()
        let owner = try await owners(api)[0]
        let r = await api.call("POST", "\(owner)/metadata", as: alice, body: ["key": "a/b:c", "value": "v"])
        #expect(r.status == 201)
        #expect(r.headers["Location"] == "\(owner)/metadata/a%2Fb:c")
        let fetched = await api.call("GET", try #require(r.headers["Location"]), as: alice)
        #expect(fetched.status == 200)
        #expect(fetched.json["key"] == "a/b:c")
    }
}
