/// One SQL statement with its parameters (`$1`, `$2`, … in the SQL). Parameters travel
/// separately from the SQL text, so user data never becomes SQL.
public struct PostgresQuery: Sendable, Hashable {
    public var sql: String
    public var parameters: [PostgresValue]

    public init(_ sql: String, _ parameters: [PostgresValue] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// The outcome of one statement: its columns, its rows (text results decoded by column type)
/// and the server's command tag ("INSERT 0 1", "UPDATE 3", "SELECT 2").
public struct PostgresQueryResult: Sendable {
    public var columns: [PostgresColumn]
    public var rows: [PostgresRow]
    public var commandTag: String

    public init(columns: [PostgresColumn] = [], rows: [PostgresRow] = [], commandTag: String = "") {
        self.columns = columns
        self.rows = rows
        self.commandTag = commandTag
    }

    /// Rows inserted, updated, deleted, selected, … (the tag's last number; 0 when it has none).
    public var rowsAffected: Int {
        guard let last = commandTag.split(separator: " ").last else { return 0 }
        return Int(last) ?? 0
    }

    public var first: PostgresRow? { rows.first }
}

/// One row. Values are in column order; look them up by name or position.
public struct PostgresRow: Sendable {
    public let columns: [PostgresColumn]
    public let values: [PostgresValue]

    public init(columns: [PostgresColumn], values: [PostgresValue]) {
        self.columns = columns
        self.values = values
    }

    /// The value at `index` (`.null` past the end).
    public subscript(index: Int) -> PostgresValue { values.indices.contains(index) ? values[index] : .null }

    /// The value of the first column named `name`; nil when there is no such column.
    public subscript(name: String) -> PostgresValue? {
        guard let i = columns.firstIndex(where: { $0.name == name }), i < values.count else { return nil }
        return values[i]
    }

    /// The value of column `name`, or a `.decoding` error naming the missing column.
    public func value(_ name: String) throws(PostgresError) -> PostgresValue {
        guard let value = self[name] else { throw .decoding("no column named '\(name)'") }
        return value
    }

    public func int(_ name: String) throws(PostgresError) -> Int { try typed(name, "an integer") { $0.int } }
    public func string(_ name: String) throws(PostgresError) -> String {
        try typed(name, "text") { $0.string }
    }
    public func bool(_ name: String) throws(PostgresError) -> Bool { try typed(name, "a bool") { $0.bool } }
    public func double(_ name: String) throws(PostgresError) -> Double {
        try typed(name, "a number") { $0.double }
    }
    public func bytes(_ name: String) throws(PostgresError) -> [UInt8] {
        try typed(name, "bytea") { $0.bytes }
    }

    private func typed<T>(_ name: String, _ what: String, _ get: (PostgresValue) -> T?) throws(PostgresError)
        -> T
    {
        let value = try value(name)
        guard let result = get(value) else {
            throw .decoding("column '\(name)' is \(value.typeName), expected \(what)")
        }
        return result
    }
}
