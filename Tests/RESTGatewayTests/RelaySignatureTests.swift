import CollabCore
import Testing
import WireProtocol

@testable import RESTGateway

/// The node-to-node relay handshake (docs/cluster.md): only a node holding the cluster secret can
/// name a user to the owner, a handshake cannot be replayed or used long after it was signed,
/// and nothing of the identity is taken from a request whose signature failed.
@Suite struct RelaySignatureTests {
    static let user = RelaySignature.RelayedUser(
        user: CollabUser(userID: "u-1", email: "alice@test.tmi", displayName: "Alice"), role: .writer)
    static let target = "/cluster/relay/threat_models/a/diagrams/b/ws?base_vector=4"

    static func request(_ headers: HTTPHeaders, target: String = target) -> HTTPRequest {
        HTTPRequest(method: "GET", target: target, headers: headers)
    }

    @Test func aSignedHandshakeNamesTheUserOnce() throws {
        let signer = RelaySignature(secret: Array("s3cret-s3cret-s3cret".utf8))
        let verifier = RelaySignature(secret: Array("s3cret-s3cret-s3cret".utf8))
        let headers = signer.sign(target: Self.target, user: Self.user, node: "n1", now: 1_000)
        let (user, node) = try verifier.verify(Self.request(headers), now: 1_010)
        #expect(user == Self.user)
        #expect(node == "n1")
        // The same handshake again is a replay.
        #expect(throws: RelaySignature.Failure.self) {
            try verifier.verify(Self.request(headers), now: 1_011)
        }
    }

    @Test func aWrongSecretATamperedFieldOrAStaleClockIsRefused() {
        let signer = RelaySignature(secret: Array("s3cret-s3cret-s3cret".utf8))
        let verifier = RelaySignature(secret: Array("other-other-other-other".utf8))
        let headers = signer.sign(target: Self.target, user: Self.user, node: "n1", now: 1_000)
        #expect(Self.failure(verifier, Self.request(headers), now: 1_000) == "badSignature")

        let same = RelaySignature(secret: Array("s3cret-s3cret-s3cret".utf8))
        var forged = headers
        let reader = RelaySignature.RelayedUser(user: Self.user.user, role: .reader)
        let other = signer.sign(target: Self.target, user: reader, node: "n1", now: 1_000)
        forged.set(RelaySignature.userHeader, other[RelaySignature.userHeader]!)
        #expect(Self.failure(same, Self.request(forged), now: 1_000) == "badSignature")
        // Signed for another diagram: the target is part of the signature.
        #expect(
            Self.failure(same, Self.request(headers, target: "/cluster/relay/x"), now: 1_000)
                == "badSignature")
        #expect(Self.failure(same, Self.request(headers), now: 1_000 + 31) == "stale")
        var missing = headers
        missing.remove(RelaySignature.signatureHeader)
        #expect(Self.failure(same, Self.request(missing), now: 1_000) == "missing")
    }

    static func failure(_ v: RelaySignature, _ r: HTTPRequest, now: Double) -> String {
        do {
            _ = try v.verify(r, now: now)
            return "accepted"
        } catch {
            switch error {
            case .badSignature: return "badSignature"
            case .stale: return "stale"
            case .missing: return "missing"
            case .replayed: return "replayed"
            case .malformedUser: return "malformedUser"
            }
        }
    }
}
