/// `--url` repeated (issue 14, docs/cluster.md): the first names the node used for logins,
/// setup and the verdict; every one (the first included) takes editors in turn.
extension LoadTestOptions {
    mutating func addNodeURL(_ text: String) throws(UsageError) {
        if nodeURLs.isEmpty {
            try setURL(text)
            nodeURLs = [url]
        } else {
            var other = LoadTestOptions()
            try other.setURL(text)
            guard !nodeURLs.contains(other.url) else { throw UsageError("--url \(other.url) is given twice") }
            nodeURLs.append(other.url)
        }
    }

    /// The options for node `i` (its URL, host and port), for a transport of its own.
    public func forNode(_ i: Int) -> LoadTestOptions {
        var copy = self
        guard nodeURLs.indices.contains(i) else { return copy }
        try? copy.setURL(nodeURLs[i])
        return copy
    }
}
