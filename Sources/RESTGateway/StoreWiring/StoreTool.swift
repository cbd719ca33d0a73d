import FoundationEssentials
import Glibc
import Storage
import StoragePostgres
import WireProtocol

/// `tmi-server migrate`, `export` and `import` (docs/storage.md): store maintenance that runs and
/// exits instead of serving. They take the server's own flags, so `--data-dir` and
/// `--database-url` (or their `TMI_*` variables) pick the store exactly as for serving.
///
///     tmi-server migrate --database-url URL          apply pending schema migrations
///     tmi-server export [--data-dir D | --database-url URL] > dump.json
///     tmi-server import [FILE|-] [--data-dir D | --database-url URL]
///
/// `import` refuses a store that already holds threat models: it moves a deployment, it does
/// not merge two. Exit status 0 on success, 2 with one line on stderr otherwise.
public enum StoreTool {
    public static let verbs: Set<String> = ["migrate", "export", "import"]

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs the tool named by `arguments[0]`; returns the text for stdout.
    public static func run(_ arguments: [String], environment: [String: String], stdin: () -> [UInt8])
        async throws(Failure) -> [UInt8]
    {
        guard let verb = arguments.first, verbs.contains(verb) else { throw Failure("unknown tool") }
        var rest = Array(arguments.dropFirst())
        var input: String?
        if verb == "import", let first = rest.first, first == "-" || !first.hasPrefix("-") {
            input = first
            rest.removeFirst()
        }
        let configuration: ServerConfiguration
        do {
            switch try ServerConfiguration.parse(arguments: rest, environment: environment) {
            case .help(let text): return Array(text.utf8)
            case .run(let parsed): configuration = parsed
            }
        } catch {
            throw Failure(error.message)
        }
        switch verb {
        case "migrate": return try await migrate(configuration)
        case "export": return try await export(configuration)
        default: return try await importDump(configuration, input: input, stdin: stdin)
        }
    }

    static func migrate(_ configuration: ServerConfiguration) async throws(Failure) -> [UInt8] {
        guard let url = configuration.databaseURL else {
            throw Failure("migrate needs --database-url (the embedded store has no schema)")
        }
        do {
            let tables = try PostgresTables(schema: configuration.databaseSchema)
            let client = try PostgresClient(url: url)
            defer { Task { await client.close() } }
            let applied = try await PostgresMigrations.run(client, tables)
            let version = try await PostgresMigrations.currentVersion(client, tables)
            await client.close()
            let list = applied.isEmpty ? "none" : applied.map(String.init).joined(separator: ", ")
            return Array("schema at version \(version); applied now: \(list)\n".utf8)
        } catch {
            throw Failure("cannot migrate \(PostgresStore.redacted(url)): \(error)")
        }
    }

    static func export(_ configuration: ServerConfiguration) async throws(Failure) -> [UInt8] {
        let store = try await open(configuration)
        let bytes = StoreDump.encode(store.state)
        await store.close()
        return bytes
    }

    static func importDump(_ configuration: ServerConfiguration, input: String?, stdin: () -> [UInt8])
        async throws(Failure) -> [UInt8]
    {
        let bytes: [UInt8]
        if let input, input != "-" {
            guard let data = FileManager.default.contents(atPath: input) else {
                throw Failure("cannot read \(input)")
            }
            bytes = Array(data)
        } else {
            bytes = stdin()
        }
        let batches: [[StoreMutation]]
        do {
            batches = try StoreDump.batches(bytes)
        } catch {
            throw Failure("cannot import: \(error)")
        }
        let store = try await open(configuration)
        guard store.state.models.isEmpty else {
            await store.close()
            throw Failure(
                "cannot import into \(configuration.storeDescription): it already holds \(store.state.models.count) threat models"
            )
        }
        for batch in batches {
            do {
                _ = try await store.write(
                    { _ throws(Failure) in ((), batch) }, unavailable: { Failure("\($0)") })
            } catch {
                await store.close()
                throw Failure("import stopped: \(error)")
            }
        }
        await store.close()
        return Array("imported \(batches.count) threat models into \(configuration.storeDescription)\n".utf8)
    }

    /// All of standard input (a dump piped in).
    public static func readStandardInput() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 {
                out += chunk[0..<n]
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return out
            }
        }
    }

    static func open(_ configuration: ServerConfiguration) async throws(Failure) -> ThreatModelStore {
        if configuration.databaseURL == nil {
            do {
                try configuration.prepareDataDirectory()
            } catch {
                throw Failure(error.message)
            }
        }
        do {
            return try await configuration.openStore()
        } catch {
            throw Failure(error.message)
        }
    }
}
