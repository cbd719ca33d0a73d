import FoundationEssentials

/// Parsing JSON text into `JSONValue`.
///
/// TODO(perf): replace the JSONDecoder path with a byte-level parser (see STYLE.md: Codable JSON
/// runs at 5-15 MB/s); the API stays the same.
extension JSONValue {
    public enum ParseError: Error, Sendable, Equatable {
        case invalid(String)
    }

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw .invalid("\(error)")
        }
    }

    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}
