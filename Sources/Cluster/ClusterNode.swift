/// This node as other nodes see it: its id (`--node-id`) and where they reach it
/// (`--advertise-url`, e.g. `http://10.0.0.5:8080`).
public struct ClusterNode: Sendable, Hashable, CustomStringConvertible {
    public let id: String
    public let advertiseURL: String

    /// Validates both: an id of 1–64 letters, digits, `.`, `_`, `-` (it is part of Redis keys
    /// and values), and an http(s) or ws(s) URL without spaces.
    public init(id: String, advertiseURL: String) throws(ClusterDirectoryError) {
        guard Self.isValidID(id) else {
            throw .invalidConfiguration(
                "node id '\(id.prefix(80))' must be 1-64 letters, digits, '.', '_' or '-'")
        }
        let lower = advertiseURL.lowercased()
        guard ["http://", "https://", "ws://", "wss://"].contains(where: { lower.hasPrefix($0) }),
            advertiseURL.count > 8, advertiseURL.count <= 512,
            !advertiseURL.contains(where: { $0 == " " || $0.isNewline || $0 == "\t" })
        else {
            throw .invalidConfiguration(
                "advertise URL must be http(s)://host:port (how other nodes reach this one)")
        }
        self.id = id
        self.advertiseURL = advertiseURL
    }

    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E
                    || b == 0x5F || b == 0x2D
            }
    }

    public var description: String { "\(id) (\(advertiseURL))" }
}

/// Timing of the directory. Defaults suit production; tests shorten them.
public struct ClusterDirectoryConfiguration: Sendable {
    /// Lifetime of a diagram ownership lease without renewal; renewed every third of it.
    public var leaseTTL: Duration = .seconds(10)
    /// Lifetime of the node's registration without renewal; renewed every third of it.
    public var nodeTTL: Duration = .seconds(10)
    /// How long `start` waits for a key with this node id to expire (a crashed predecessor's)
    /// before refusing as a duplicate; nil: `nodeTTL` plus one second.
    public var duplicateWait: Duration?
    /// Prefix of every key (`tmi:` gives `tmi:owner:{diagram}`).
    public var keyPrefix = "tmi:"
    /// Where the directory reports what an operator should see (lease lost, node re-registered).
    public var log: @Sendable (String) -> Void = { _ in }

    public init() {}

    /// A lease is trusted for two thirds of its TTL after the renewal that confirmed it was
    /// sent; past that without a newer confirmation it counts as lost, a third of the TTL before
    /// Redis could give it to another node (allowing for clock-rate differences and pauses).
    var leaseTrust: Duration { leaseTTL * 2 / 3 }
    var tick: Duration { leaseTTL / 6 }
}
