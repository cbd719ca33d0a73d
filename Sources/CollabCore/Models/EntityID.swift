import FoundationEssentials

/// The id of a stored entity: a UUID kept in lowercase text form, the form the API returns
/// (RFC 9562 §4: UUIDs are output in lowercase; input is accepted in any case).
public struct EntityID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let text: String

    /// Accepts the 8-4-4-4-12 hex form in any case; nil for anything else.
    public init?(_ text: String) {
        guard Formats.isUUID(text) else { return nil }
        self.text = text.lowercased()
    }

    public init(_ uuid: UUID) {
        text = uuid.uuidString.lowercased()
    }

    /// A new random (version 4) id.
    public static func random() -> EntityID {
        EntityID(UUID())
    }

    public var description: String { text }
    public var json: JSONValue { .string(text) }

    public static func < (a: EntityID, b: EntityID) -> Bool { a.text < b.text }
}
