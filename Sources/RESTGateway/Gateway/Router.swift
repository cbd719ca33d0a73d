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
    /// normalizes Unicode) per segment of every request.
    struct Node: Sendable {
        /// Static segments (their UTF-8) and the node each leads to.
        var statics: [(segment: [UInt8], node: Int)] = []
        var parameterChild: Int = -1
        /// Methods served here and the index into `routes` of each.
        var methods: [(method: String, route: Int)] = []

        func child(_ segment: UnsafeRawBufferPointer) -> Int? {
            for entry in statics where entry.segment.count == segment.count {
                if entry.segment.elementsEqual(segment) { return entry.node }
            }
            return nil
        }

        func route(for method: String) -> Int? {
            for entry in methods where entry.method == method { return entry.route }
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
        case found(index: Int, parameters: [String: String])
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
                if let next = nodes[node].statics.first(where: { $0.segment == bytes })?.node {
                    node = next
                } else {
                    nodes.append(Node())
                    nodes[node].statics.append((bytes, nodes.count - 1))
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
