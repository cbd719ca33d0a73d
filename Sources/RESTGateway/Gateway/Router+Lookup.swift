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
        var segments = Self.segments(of: path)
        for i in segments.indices where segments[i].utf8.contains(UInt8(ascii: "%")) {
            segments[i] = Substring(PercentDecoding.decode(segments[i]))
        }
        var search = Search(router: self, segments: segments, method: method == "OPTIONS" ? "" : method)
        if let index = search.run(node: 0, depth: 0) {
            let names = compiled[index].parameterNames
            var parameters: [String: String] = [:]
            parameters.reserveCapacity(names.count)
            for (name, value) in zip(names, search.values) { parameters[name] = String(value) }
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

    /// Depth-first search state; `values` holds the parameter segments on the current branch.
    private struct Search {
        let router: Router
        let segments: [Substring]
        let method: String
        var values: [Substring] = []
        var allow: Set<String> = []

        init(router: Router, segments: [Substring], method: String) {
            self.router = router
            self.segments = segments
            self.method = method
            values.reserveCapacity(segments.count)
        }

        mutating func run(node: Int, depth: Int) -> Int? {
            let current = router.nodes[node]
            if depth == segments.count {
                if current.methods.isEmpty { return nil }
                if let index = current.methods[method] { return index }
                if method == "HEAD", let index = current.methods["GET"] { return index }
                allow.formUnion(current.methods.keys)
                return nil
            }
            let segment = segments[depth]
            if let next = current.statics[segment], let found = run(node: next, depth: depth + 1) {
                return found
            }
            if current.parameterChild >= 0 && !segment.isEmpty {
                values.append(segment)
                if let found = run(node: current.parameterChild, depth: depth + 1) { return found }
                values.removeLast()
            }
            return nil
        }
    }
}
