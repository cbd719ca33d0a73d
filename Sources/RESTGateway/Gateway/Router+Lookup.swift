extension Router {
    /// Finds the route for `method` and a request path (still percent-encoded, without query).
    ///
    /// `HEAD` is served by a `GET` route (RFC 9110 §9.3.2); `OPTIONS` on a known path answers
    /// with the path's methods. An absolute-form target (`http://host/path`, RFC 9112 §3.2.2) is
    /// routed by its path.
    public func lookup(method: String, path rawPath: Substring) -> Lookup {
        // OPTIONS is answered from the methods of the path, never by a route: the full search.
        if method != "OPTIONS", let node = exactPaths[rawPath], let index = nodes[node].methods[method] {
            return .found(index: index, parameters: [:])
        }
        let path = Self.originForm(rawPath)
        guard path.first == "/" else { return .notFound }
        var search = Search(router: self, path: path, method: method == "OPTIONS" ? "" : method)
        if let index = search.run(node: 0, from: search.firstSegment) {
            let names = compiled[index].parameterNames
            var parameters: [String: String] = [:]
            parameters.reserveCapacity(names.count)
            // `values` were collected deepest first, on the way back from the match.
            for (name, value) in zip(names, search.values.reversed()) { parameters[name] = String(value) }
            return .found(index: index, parameters: parameters)
        }
        if search.allow.isEmpty { return .notFound }
        let allow = Self.allowList(search.allow)
        return method == "OPTIONS" ? .options(allow: allow) : .methodNotAllowed(allow: allow)
    }

    /// The methods for `Allow`: sorted, with HEAD where GET is served and OPTIONS always.
    static func allowList(_ methods: Set<String>) -> [String] {
        var all = methods
        if all.contains("GET") { all.insert("HEAD") }
        all.insert("OPTIONS")
        return all.sorted()
    }

    static func originForm(_ target: Substring) -> Substring {
        guard target.first != "/" else { return target }
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            if let slash = rest.firstIndex(of: "/") { return rest[slash...] }
            return "/"
        }
        return target
    }

    /// Depth-first search over the path's segments (as `segments(of:)` splits them), found one
    /// at a time from the bytes: no array of segments is built per request. A segment holding
    /// `%` is percent-decoded after splitting, so an encoded slash stays inside its segment.
    private struct Search {
        let router: Router
        /// The path without its leading slash and one trailing slash.
        let path: Substring.UTF8View
        let method: String
        /// The parameter segments of the match, deepest first (filled only on success).
        var values: [Substring] = []
        var allow: Set<String> = []

        init(router: Router, path: Substring, method: String) {
            var trimmed = path.dropFirst()
            if trimmed.last == "/" { trimmed = trimmed.dropLast() }
            self.router = router
            self.path = trimmed.utf8
            self.method = method
        }

        /// Where the first segment starts; nil for the root (no segments).
        var firstSegment: Substring.Index? { path.isEmpty ? nil : path.startIndex }

        /// Searches below `node` for the segments from `start` on (nil: none left).
        mutating func run(node: Int, from start: Substring.Index?) -> Int? {
            let current = router.nodes[node]
            guard let start else {
                if current.methods.isEmpty { return nil }
                if let index = current.methods[method] { return index }
                if method == "HEAD", let index = current.methods["GET"] { return index }
                allow.formUnion(current.methods.keys)
                return nil
            }
            let end = path[start...].firstIndex(of: UInt8(ascii: "/")) ?? path.endIndex
            // After a slash comes another segment, empty if the slash ends the path.
            let next = end == path.endIndex ? nil : path.index(after: end)
            var segment = Substring(path[start..<end])
            if segment.utf8.contains(UInt8(ascii: "%")) { segment = Substring(PercentDecoding.decode(segment)) }
            if let child = current.statics[segment], let found = run(node: child, from: next) {
                return found
            }
            if current.parameterChild >= 0 && !segment.isEmpty {
                if let found = run(node: current.parameterChild, from: next) {
                    values.append(segment)
                    return found
                }
            }
            return nil
        }
    }
}
