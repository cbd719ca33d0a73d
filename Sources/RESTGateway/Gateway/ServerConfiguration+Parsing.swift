/// Command-line and environment parsing.
extension ServerConfiguration {
    /// What the command line asks for.
    public enum Invocation: Sendable, Equatable {
        case run(ServerConfiguration)
        case help(String)
    }

    /// Applies defaults, then `TMI_*` environment variables, then flags (`--flag VALUE` or
    /// `--flag=VALUE`), so a flag always wins over the environment. `arguments` excludes the
    /// program name. Any unknown flag, missing value or bad value throws with one line to show.
    public static func parse(arguments: [String], environment: [String: String]) throws(ConfigurationError)
        -> Invocation
    {
        var configuration = ServerConfiguration()
        for option in options {
            guard let name = option.environment, let value = environment[name] else { continue }
            try option.apply(&configuration, value)
        }

        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help(helpText) }
            guard argument.hasPrefix("--") else {
                throw ConfigurationError("unexpected argument '\(argument)' (see --help)")
            }
            var name = argument
            var inlineValue: String?
            if let eq = argument.firstIndex(of: "=") {
                name = String(argument[..<eq])
                inlineValue = String(argument[argument.index(after: eq)...])
            }
            guard let option = options.first(where: { $0.flag == name }) else {
                throw ConfigurationError("unknown option '\(name)' (see --help)")
            }
            if option.valueName == nil {
                guard inlineValue == nil else { throw ConfigurationError("option \(name) takes no value") }
                // Switches: --no-test-provider turns the provider off, --conformance-echo turns echo on.
                try option.apply(&configuration, name.hasPrefix("--no-") ? "0" : "1")
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else {
                    throw ConfigurationError("option \(name) needs a value (see --help)")
                }
                value = arguments[index]
                index += 1
            }
            try option.apply(&configuration, value)
        }
        if (configuration.tlsCertificateFile == nil) != (configuration.tlsKeyFile == nil) {
            throw ConfigurationError(
                "--tls-cert and --tls-key (TMI_TLS_CERT, TMI_TLS_KEY) go together: give both or neither")
        }
        return .run(configuration)
    }

    /// `--help`: every flag with its value, environment variable and default.
    public static var helpText: String {
        var lines = [
            "Usage: tmi-server [options]",
            "",
            "TMI collaboration server. Flags override TMI_* environment variables, which override defaults.",
            "",
            "Options:",
        ]
        for option in options {
            let flag = option.valueName.map { "\(option.flag) \($0)" } ?? option.flag
            lines.append("  " + flag)
            var detail = "      " + option.help
            if let env = option.environment { detail += " [env: \(env)]" }
            detail += " (default: \(option.defaultText))"
            lines.append(detail)
        }
        lines.append("  -h, --help")
        lines.append("      show this help and exit")
        return lines.joined(separator: "\n") + "\n"
    }
}
