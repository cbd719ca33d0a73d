import CollabCore
import Glibc
import Synchronization

/// Decodes the server's messages once per diagram instead of once per editor.
///
/// Every editor of a diagram receives the same broadcast bytes (the server encodes a message
/// once and sends the one buffer to everyone, docs/scale.md). Parsing those bytes into JSON and
/// decoding each cell is most of what a simulated editor spent on a message, and at 500 editors
/// it was done 250,000 times a second, leaving the server less than one of the two cores
/// (issue 15). So the first editor to receive a message decodes it and the others reuse the
/// result: each still applies it to its own model (`ClientDiagramModel`), so every editor's
/// state is built from what it received and the convergence verdict is as strict as before.
///
/// A message is found by a hash of its bytes and reused only when the bytes are equal, so two
/// different messages never share a decoding. The table keeps the last `capacity` messages
/// (oldest out first); a message evicted before a slow editor reads it is decoded again, which
/// costs time, never correctness.
public final class SharedDecoder: Sendable {
    /// One decoded message; immutable, shared by reference.
    final class Decoded: Sendable {
        let bytes: [UInt8]
        let message: SessionMessage?
        init(bytes: [UInt8], message: SessionMessage?) {
            self.bytes = bytes
            self.message = message
        }
    }

    struct Table {
        var entries: [UInt64: Decoded] = [:]
        /// Insertion order, for eviction.
        var order: [UInt64] = []
        var head = 0
    }

    /// One lock and its table (a class: a `Mutex` cannot sit in an array by value).
    final class Shard: Sendable {
        let table = Mutex(Table())
    }

    let sharing: Bool
    let perShard: Int
    /// Split by hash so the editors' reader threads rarely wait on one another.
    let shards: [Shard]
    private let decodings = Atomic<Int>(0)

    /// `readers`: editors receiving each broadcast (1: nothing to share, nothing is kept).
    public init(readers: Int, capacity: Int? = nil) {
        sharing = readers > 1
        let total = capacity ?? max(1024, 32 * readers)
        shards = (0..<8).map { _ in Shard() }
        perShard = max(16, total / 8)
    }

    /// How many messages were parsed (the rest were reused).
    public var decodeCount: Int { decodings.load(ordering: .relaxed) }

    /// The message `bytes` decode to (nil: not a message the load tester understands).
    public func decode(_ bytes: [UInt8]) -> SessionMessage? {
        guard sharing else {
            decodings.add(1, ordering: .relaxed)
            return SessionMessage.parse(bytes: bytes)
        }
        let key = Self.hash(bytes)
        let shard = shards[Int(key & 7)]
        if let hit = shard.table.withLock({ $0.entries[key] }), Self.equal(hit.bytes, bytes) {
            return hit.message
        }
        decodings.add(1, ordering: .relaxed)
        let decoded = Decoded(bytes: bytes, message: SessionMessage.parse(bytes: bytes))
        let limit = perShard
        shard.table.withLock { t in
            // A different message with the same hash keeps its slot: this one is decoded again
            // by each reader, which is correct, only slower.
            guard t.entries[key] == nil else { return }
            t.entries[key] = decoded
            t.order.append(key)
            while t.entries.count > limit, t.head < t.order.count {
                t.entries[t.order[t.head]] = nil
                t.head += 1
            }
            if t.head > 1024 && t.head * 2 > t.order.count {
                t.order.removeFirst(t.head)
                t.head = 0
            }
        }
        return decoded.message
    }

    /// A 64-bit hash of the bytes (a multiply-and-rotate mix): it only picks a slot; equality of
    /// the bytes decides. Four independent lanes of eight bytes each, so the multiplies of one
    /// 32-byte block run in parallel: with one lane the chain of dependent multiplies made the
    /// hash, run for every message every editor receives, a visible part of the load tool's CPU
    /// at 500 editors (issue 15).
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw -> UInt64 in
            let n = raw.count
            var lanes: (UInt64, UInt64, UInt64, UInt64) = (
                0x9E37_79B9_7F4A_7C15 ^ UInt64(n), 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9,
                0x85EB_CA77_C2B2_AE63
            )
            @inline(__always) func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
                let m = (h ^ word) &* 0xFF51_AFD7_ED55_8CCD
                return (m << 29) | (m >> 35)
            }
            var i = 0
            while i + 32 <= n {
                lanes.0 = mix(lanes.0, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                lanes.1 = mix(lanes.1, raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                lanes.2 = mix(lanes.2, raw.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self))
                lanes.3 = mix(lanes.3, raw.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self))
                i += 32
            }
            var h = mix(mix(mix(lanes.0, lanes.1), lanes.2), lanes.3)
            while i + 8 <= n {
                h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
            return h ^ (h >> 33)
        }
    }

    /// Whether two messages are the same bytes, compared with `memcmp` (`==` on two `[UInt8]`
    /// compares element by element, and every reused decoding is checked this way).
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0
            }
        }
    }
}
