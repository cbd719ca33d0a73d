import Glibc

extension ServerConfiguration {
    /// Creates the data directory if needed and proves it is writable, before the server binds:
    /// an operator should learn about a bad path from one clear line at start, not from the
    /// first write that fails after clients were told the server is up.
    public func prepareDataDirectory() throws(ConfigurationError) {
        let path = dataDirectory
        try Self.makeDirectories(path)
        // Permission bits do not tell the whole story (read-only mounts, ACLs, root): really write.
        let probe = path + "/.tmi-write-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigurationError("data directory '\(path)' is not writable: \(Self.lastError())")
        }
        close(fd)
        unlink(probe)
    }

    /// `mkdir -p`: each missing ancestor is created in turn; an existing non-directory fails.
    private static func makeDirectories(_ path: String) throws(ConfigurationError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw ConfigurationError("data directory '\(path)': '\(prefix)' is not a directory")
                }
            } else if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw ConfigurationError("cannot create data directory '\(path)': \(lastError())")
            }
            prefix += "/"
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
