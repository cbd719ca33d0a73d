/// An ordered list of HTTP header fields with case-insensitive lookup (RFC 9110 §5.1).
///
/// Field order is kept as received; lookups compare names ASCII-case-insensitively.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    /// Changed only by `add`, `set` and `remove`, which keep `present` in step.
    public private(set) var fields: [(name: String, value: String)]
    /// A one-word Bloom filter of the names present: one bit per name, chosen from its length and
    /// its first and last bytes, case-folded. A lookup whose bit is clear answers "absent" without
    /// comparing a name: most lookups are for fields a request does not have (a `GET` is asked for
    /// `Connection`, `Transfer-Encoding`, `Content-Length`, `Expect`, `Upgrade`... about ten
    /// times), and each miss was a case-insensitive scan of every field (issue 15's profile).
    private var present: UInt64 = 0

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
        present = Self.filter(of: fields)
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        guard mayContain(name) else { return nil }
        for field in fields where field.name.equalsIgnoringASCIICase(name) { return field.value }
        return nil
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        guard mayContain(name) else { return [] }
        return fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// How many fields are named `name` (without collecting their values).
    public func count(of name: String) -> Int {
        guard mayContain(name) else { return 0 }
        var n = 0
        for field in fields where field.name.equalsIgnoringASCIICase(name) { n += 1 }
        return n
    }

    /// Appends a field, keeping any existing ones of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
        present |= Self.bit(of: name)
    }

    /// Replaces every field of `name` with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
        present |= Self.bit(of: name)
    }

    public mutating func remove(_ name: String) {
        guard mayContain(name) else { return }
        let before = fields.count
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
        if fields.count != before { present = Self.filter(of: fields) }
    }

    /// False only when no field is named `name` (true may be a false positive).
    @inline(__always)
    func mayContain(_ name: String) -> Bool { present & Self.bit(of: name) != 0 }

    private static func filter(of fields: [(name: String, value: String)]) -> UInt64 {
        var bits: UInt64 = 0
        for field in fields { bits |= bit(of: field.name) }
        return bits
    }

    /// The name's filter bit. Names equal but for ASCII case get the same bit: the length is the
    /// same, and `| 0x20` maps both cases of a letter to one byte (other bytes are compared as
    /// they are, so they are the same in both names).
    /// Reads the contiguous bytes: `utf8.last` is the generic bidirectional walk, about 3× the
    /// cost, and this runs for every field parsed and every lookup.
    @inline(__always)
    static func bit(of name: String) -> UInt64 {
        name.utf8.withContiguousStorageIfAvailable(bit(ofBytes:))
            ?? Array(name.utf8).withUnsafeBufferPointer(bit(ofBytes:))
    }

    @inline(__always)
    private static func bit(ofBytes bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let first = bytes.first, let last = bytes.last else { return 1 }
        let mix = UInt64(bytes.count) &* 0x9E37 &+ UInt64(first | 0x20) &* 0x2F &+ UInt64(last | 0x20)
        return 1 << (mix & 63)
    }
}

extension String {
    /// ASCII case-insensitive comparison, as header names and tokens require.
    ///
    /// Header lookups run this several times per request (issue 15's profile showed its generic
    /// `zip` over two UTF-8 views): native strings compare over their contiguous bytes.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool {
        let a = self.utf8
        let b = other.utf8
        guard a.count == b.count else { return false }
        if let equal = a.withContiguousStorageIfAvailable({ x in
            b.withContiguousStorageIfAvailable { y in Self.asciiCaseInsensitiveEqual(x, y) }
        }), let equal {
            return equal
        }
        for (x, y) in zip(a, b) where x != y {
            let lx = (x >= 65 && x <= 90) ? x | 0x20 : x
            let ly = (y >= 65 && y <= 90) ? y | 0x20 : y
            if lx != ly { return false }
        }
        return true
    }

    @inline(__always)
    static func asciiCaseInsensitiveEqual(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>)
        -> Bool
    {
        for i in 0..<x.count where x[i] != y[i] {
            let lx = (x[i] >= 65 && x[i] <= 90) ? x[i] | 0x20 : x[i]
            let ly = (y[i] >= 65 && y[i] <= 90) ? y[i] | 0x20 : y[i]
            if lx != ly { return false }
        }
        return true
    }
}
