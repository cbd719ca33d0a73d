/// The routing table, compiled once at start-up into a flat array of nodes.
///
/// Each node holds its static children (a short list of segments), at most one parameter
/// child, and the route to run per method. Lookup walks the path's segments depth-first: a static
/// segment is tried before a parameter, and if the static branch leads nowhere the parameter branch
/// is tried (so `/threat_models/bulk` and `/threat_models/{id}` coexist). The first node reached
/// that serves the method wins; if nodes matched the path but none serves the method, the answer
/// is 405 with the union of their methods in `Allow`.
public struct Router: Sendable {
    /// Why a routing table could not be compiled. A programming error in a route provider, found
    /// at start-up rather than on a request.
    public enum CompileError: Error, Sendable, Equatable {
        case invalidPattern(String)
        case duplicate(method: String, pattern: String)
    }

    /// A node of the tree. Children and methods are short lists searched in order: a node has a
    /// handful of each, and comparing a few bytes costs less than hashing a `String` (which
    /// normalizes Unicode) per segment of every request. The static segments sit end to end in
    /// one byte array, so the search compares bytes without copying (and reference-counting) a
    /// per-segment array for every child it passes (the root has a dozen).
    struct Node: Sendable {
        /// The static segments' UTF-8, end to end; segment `i` ends at `staticEnds[i]`.
        private(set) var staticBytes: [UInt8] = []
        private(set) var staticEnds: [Int] = []
        /// The node static segment `i` leads to.
        private(set) var staticNodes: [Int] = []
        var parameterChild: Int = -1
        /// Methods served here and the index into `routes` of each.
        var methods: [(method: String, route: Int)] = []

        func child(_ segment: UnsafeRawBufferPointer) -> Int? {
            staticBytes.withUnsafeBytes { all in
                var start = 0
                for i in staticEnds.indices {
                    let end = staticEnds[i]
                    if end - start == segment.count
                        && UnsafeRawBufferPointer(rebasing: all[start..<end]).elementsEqual(segment)
                    {
                        return staticNodes[i]
                    }
                    start = end
                }
                return nil
            }
        }

        mutating func addStatic(_ segment: [UInt8], node: Int) {
            staticBytes.append(contentsOf: segment)
            staticEnds.append(staticBytes.count)
            staticNodes.append(node)
        }

        func route(for method: String) -> Int? {
            for i in methods.indices where methods[i].method == method { return methods[i].route }
            return nil
        }
    }

    /// A route with its pattern's parameter names in order of appearance.
    struct Compiled: Sendable {
        var route: Route
        var parameterNames: [String]
    }

    /// The outcome of a lookup.
    public enum Lookup: Sendable {
        /// `index` into `routes`; `parameters` decoded, named as in the route's pattern.
        case found(index: Int, parameters: PathParameters)
        /// The path exists with other methods; `allow` is the value for the `Allow` header.
        case methodNotAllowed(allow: [String])
        /// `OPTIONS` on an existing path (RFC 9110 §9.3.7): answer with `Allow`.
        case options(allow: [String])
        case notFound
    }

    private(set) var nodes: [Node] = [Node()]
    private(set) var compiled: [Compiled] = []

    public init(routes: [Route]) throws(CompileError) {
        for route in routes { try insert(route) }
    }

    /// The route at an index returned by `lookup`.
    public func route(at index: Int) -> Route { compiled[index].route }

    public var routeCount: Int { compiled.count }

    private mutating func insert(_ route: Route) throws(CompileError) {
        guard route.pattern.hasPrefix("/"), !route.method.isEmpty else {
            throw .invalidPattern(route.pattern)
        }
        var node = 0
        var names: [String] = []
        for segment in Self.segments(of: route.pattern[...]) {
            if segment.first == "{" {
                guard segment.last == "}", segment.count > 2 else { throw .invalidPattern(route.pattern) }
                names.append(String(segment.dropFirst().dropLast()))
                if nodes[node].parameterChild < 0 {
                    nodes.append(Node())
                    nodes[node].parameterChild = nodes.count - 1
                }
                node = nodes[node].parameterChild
            } else {
                guard !segment.isEmpty, !segment.contains("{"), !segment.contains("}") else {
                    throw .invalidPattern(route.pattern)
                }
                let bytes = Array(segment.utf8)
                if let next = bytes.withUnsafeBytes({ nodes[node].child($0) }) {
                    node = next
                } else {
                    nodes.append(Node())
                    nodes[node].addStatic(bytes, node: nodes.count - 1)
                    node = nodes.count - 1
                }
            }
        }
        let method = route.method.uppercased()
        guard nodes[node].route(for: method) == nil else {
            throw .duplicate(method: method, pattern: route.pattern)
        }
        nodes[node].methods.append((method, compiled.count))
        compiled.append(Compiled(route: route, parameterNames: names))
    }

    /// The path's segments between `/`, ignoring one trailing slash (`/threat_models/` is
    /// `/threat_models`). The root `/` has no segments. Empty inner segments (`a//b`) are kept
    /// and match nothing.
    static func segments(of path: Substring) -> [Substring] {
        var path = path
        if path.first == "/" { path = path.dropFirst() }
        if path.last == "/" { path = path.dropLast() }
        if path.isEmpty { return [] }
        // Split on bytes ("/" is ASCII): Character-wise splitting costs on every request.
        return path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map {
            Substring($0)
        }
    }
}

/// The values a route pattern's `{name}` segments took. A route has at most a few, so they are
/// kept as the pattern's list of names (shared, not copied) beside the values and searched by
/// name: building a dictionary for them cost more than the rest of the route search.
public struct PathParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private var names: [String]
    private var values: [String]

    init(names: [String], values: [String]) {
        self.names = names
        self.values = values
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.names = elements.map(\.0)
        self.values = elements.map(\.1)
    }

    /// The value of `{name}`; a name the pattern repeats takes its last segment's value.
    public subscript(name: String) -> String? {
        names.lastIndex(of: name).map { values[$0] }
    }

    /// The parameters by name.
    public var dictionary: [String: String] {
        Dictionary(zip(names, values), uniquingKeysWith: { _, last in last })
    }

    public static func == (a: PathParameters, b: PathParameters) -> Bool { a.dictionary == b.dictionary }
}
