/// Command-line parsing. Every impossible input is a `UsageError` whose message is one line for
/// stderr; the executable exits 2 on it.
extension LoadTestOptions {
    public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Parses `arguments` (without the program name). Accepts `--flag value` and `--flag=value`.
    public static func parse(_ arguments: [String]) throws(UsageError) -> LoadTestOptions {
        var options = LoadTestOptions()
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--") else {
                throw UsageError("unexpected argument '\(argument)' (see --help)")
            }
            var name = argument
            var inlineValue: String? = nil
            if let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inlineValue = String(argument[argument.index(after: eq)...])
            }
            func value() throws(UsageError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = rest.popFirst() else { throw UsageError("\(name) needs a value") }
                return next
            }
            switch name {
            case "--help", "-h": options.help = true
            case "--quiet": options.quiet = true
            case "--url": try options.addNodeURL(value())
            case "--ca-file": options.caFile = try path(name, value())
            case "--diagrams": options.diagrams = try positiveInt(name, value())
            case "--editors": options.editors = try positiveInt(name, value())
            case "--rate": options.rate = try positiveDouble(name, value())
            case "--duration": options.duration = try positiveDouble(name, value())
            case "--warmup": options.warmup = try nonNegativeDouble(name, value())
            case "--seed":
                let text = try value()
                guard let seed = UInt64(text) else {
                    throw UsageError("--seed must be a non-negative integer, got '\(text)'")
                }
                options.seed = seed
            case "--json": options.jsonPath = try path(name, value())
            case "--svg": options.svgPath = try path(name, value())
            case "--step-until-p99-ms": options.stepUntilP99Ms = try positiveDouble(name, value())
            case "--max-steps": options.maxSteps = try positiveInt(name, value())
            case "--threat-model": options.threatModelID = try uuid(name, value())
            case "--diagram": options.diagramID = try uuid(name, value())
            case "--max-error-rate":
                let rate = try nonNegativeDouble(name, value())
                guard rate <= 1 else { throw UsageError("--max-error-rate must be between 0 and 1") }
                options.maxErrorRate = rate
            case "--server-pid":
                let pid = try positiveInt(name, value())
                guard pid <= Int(Int32.max) else { throw UsageError("--server-pid is out of range") }
                options.serverPID = Int32(pid)
            case "--user-prefix":
                let prefix = try value()
                guard !prefix.isEmpty, prefix.utf8.allSatisfy(Self.isHintByte) else {
                    throw UsageError("--user-prefix must be letters, digits, '-' or '_'")
                }
                options.userPrefix = prefix
            // Idle mode (issue 15).
            case "--idle": options.idleConnections = try positiveInt(name, value())
            case "--idle-per-diagram":
                let n = try positiveInt(name, value())
                guard n <= 500 else {
                    throw UsageError("--idle-per-diagram must be at most 500 (the session cap)")
                }
                options.idlePerDiagram = n
            case "--idle-hold": options.idleHold = try nonNegativeDouble(name, value())
            case "--deflate":
                switch try value() {
                case "on": options.deflate = true
                case "off": options.deflate = false
                case let other: throw UsageError("--deflate must be on or off, got '\(other)'")
                }
            default:
                throw UsageError("unknown option '\(name)' (see --help)")
            }
        }
        if options.idleConnections != nil && (options.stepUntilP99Ms != nil || options.threatModelID != nil) {
            throw UsageError(
                "--idle creates its own diagrams and cannot step; drop --step-until-p99-ms and --threat-model"
            )
        }
        if options.diagramID != nil && options.threatModelID == nil {
            throw UsageError("--diagram needs --threat-model")
        }
        if options.diagramID != nil && options.diagrams != 1 {
            throw UsageError("--diagram names one diagram; drop --diagrams or set it to 1")
        }
        return options
    }

    static func isHintByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
            || b == 0x5F
    }

    mutating func setURL(_ text: String) throws(UsageError) {
        guard let scheme = ["http://", "https://"].first(where: { text.hasPrefix($0) }) else {
            throw UsageError("--url must start with http:// or https:// (got '\(text)')")
        }
        var rest = text.dropFirst(scheme.count)
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("?") else {
            throw UsageError("--url must be http://HOST[:PORT] with no path (got '\(text)')")
        }
        var hostPart = Substring(rest)
        var portValue = scheme == "https://" ? 443 : 80
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            hostPart = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), p > 0, p < 65536 else {
                throw UsageError("--url has an invalid port (got '\(text)')")
            }
            portValue = p
        }
        guard !hostPart.isEmpty else { throw UsageError("--url has no host (got '\(text)')") }
        url = scheme + rest
        // An IPv6 literal is bracketed in a URL (RFC 3986 §3.2.2) but not when connecting.
        if hostPart.hasPrefix("[") && hostPart.hasSuffix("]") { hostPart = hostPart.dropFirst().dropLast() }
        host = String(hostPart)
        port = portValue
    }

    static func positiveInt(_ name: String, _ text: String) throws(UsageError) -> Int {
        guard let v = Int(text) else { throw UsageError("\(name) must be an integer, got '\(text)'") }
        guard v > 0 else { throw UsageError("\(name) must be at least 1, got \(v)") }
        return v
    }

    static func positiveDouble(_ name: String, _ text: String) throws(UsageError) -> Double {
        let v = try nonNegativeDouble(name, text)
        guard v > 0 else { throw UsageError("\(name) must be greater than 0, got \(text)") }
        return v
    }

    static func nonNegativeDouble(_ name: String, _ text: String) throws(UsageError) -> Double {
        guard let v = Double(text), v.isFinite else {
            throw UsageError("\(name) must be a number, got '\(text)'")
        }
        guard v >= 0 else { throw UsageError("\(name) must not be negative, got \(text)") }
        return v
    }

    static func path(_ name: String, _ text: String) throws(UsageError) -> String {
        guard !text.isEmpty else { throw UsageError("\(name) needs a file path") }
        return text
    }

    static func uuid(_ name: String, _ text: String) throws(UsageError) -> String {
        let hexPositions = text.utf8.enumerated().allSatisfy { i, b in
            [8, 13, 18, 23].contains(i)
                ? b == UInt8(ascii: "-")
                : (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
        }
        guard text.utf8.count == 36, hexPositions else {
            throw UsageError("\(name) must be a UUID, got '\(text)'")
        }
        return text.lowercased()
    }
}
