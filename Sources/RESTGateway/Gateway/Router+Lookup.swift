extension Router {
    /// Finds the route for `method` and a request path (still percent-encoded, without query).
    ///
    /// `HEAD` is served by a `GET` route (RFC 9110 §9.3.2); `OPTIONS` on a known path answers
    /// with the path's methods. An absolute-form target (`http://host/path`, RFC 9112 §3.2.2) is
    /// routed by its path.
    public func lookup(method: String, path rawPath: Substring) -> Lookup {
        var path = Self.originForm(rawPath)
        guard path.utf8.first == UInt8(ascii: "/") else { return .notFound }
        let searchMethod = method == "OPTIONS" ? "" : method
        let (index, values, allow) = path.withUTF8 { bytes in
            // Without the leading slash and one trailing slash.
            var end = bytes.count
            if end > 1 && bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
            var search = Search(
                router: self, path: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[1..<end])),
                method: searchMethod)
            let index = search.run(node: 0, from: search.path.isEmpty ? nil : 0)
            return (index, search.values, search.allow)
        }
        if let index {
            // `values` were collected deepest first, on the way back from the match.
            var values = values
            values.reverse()
            return .found(
                index: index,
                parameters: PathParameters(names: compiled[index].parameterNames, values: values))
        }
        if allow.isEmpty { return .notFound }
        let allowed = Self.allowList(allow)
        return method == "OPTIONS" ? .options(allow: allowed) : .methodNotAllowed(allow: allowed)
    }

    /// The methods for `Allow`: sorted, with HEAD where GET is served and OPTIONS always.
    static func allowList(_ methods: Set<String>) -> [String] {
        var all = methods
        if all.contains("GET") { all.insert("HEAD") }
        all.insert("OPTIONS")
        return all.sorted()
    }

    static func originForm(_ target: Substring) -> Substring {
        guard target.utf8.first != UInt8(ascii: "/") else { return target }
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let rest = target.dropFirst(scheme.count)
            if let slash = rest.firstIndex(of: "/") { return rest[slash...] }
            return "/"
        }
        return target
    }

    /// Depth-first search over the path's segments (as `segments(of:)` splits them), found one
    /// at a time in the path's bytes: no array of segments and no `String` per segment is built
    /// per request. A segment holding `%` is percent-decoded after splitting, so an encoded slash
    /// stays inside its segment.
    private struct Search {
        let router: Router
        /// The path without its leading slash and one trailing slash (valid during the search).
        let path: UnsafeRawBufferPointer
        let method: String
        /// The parameter values of the match, deepest first (filled only on success).
        var values: [String] = []
        var allow: Set<String> = []

        init(router: Router, path: UnsafeRawBufferPointer, method: String) {
            self.router = router
            self.path = path
            self.method = method
        }

        /// Searches below `node` for the segments from offset `start` on (nil: none left).
        mutating func run(node: Int, from start: Int?) -> Int? {
            guard let start else {
                let methods = router.nodes[node].methods
                if methods.isEmpty { return nil }
                if let index = router.nodes[node].route(for: method) { return index }
                if method == "HEAD", let index = router.nodes[node].route(for: "GET") { return index }
                allow.formUnion(methods.map(\.method))
                return nil
            }
            let rest = UnsafeRawBufferPointer(rebasing: path[start...])
            let end = rest.firstIndex(of: UInt8(ascii: "/")).map { start + $0 } ?? path.count
            // After a slash comes another segment, empty if the slash ends the path.
            let next = end == path.count ? nil : end + 1
            let raw = UnsafeRawBufferPointer(rebasing: path[start..<end])
            if raw.contains(UInt8(ascii: "%")) {
                let decoded = PercentDecoding.decode(Substring(decoding: raw, as: UTF8.self))
                return Array(decoded.utf8).withUnsafeBytes { segment in
                    descend(node, segment, next, value: { decoded })
                }
            }
            return descend(node, raw, next, value: { String(decoding: raw, as: UTF8.self) })
        }

        /// Static child first, then the parameter child (which takes only a non-empty segment).
        private mutating func descend(
            _ node: Int, _ segment: UnsafeRawBufferPointer, _ next: Int?, value: () -> String
        ) -> Int? {
            if let child = router.nodes[node].child(segment), let found = run(node: child, from: next) {
                return found
            }
            let parameterChild = router.nodes[node].parameterChild
            if parameterChild >= 0 && !segment.isEmpty, let found = run(node: parameterChild, from: next) {
                values.append(value())
                return found
            }
            return nil
        }
    }
}
