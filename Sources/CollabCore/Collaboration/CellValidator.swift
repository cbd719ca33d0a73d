/// The rule every cell an operation adds or changes must satisfy, so the live diagram stays one
/// that the REST API would accept (a later `PUT` of it must not fail, and a restart must load it).
///
/// `.spec` applies the spec's rules for one cell (`Cell`, the same the REST handlers use: UUID
/// id, known shape, node geometry and its minimums, edge terminals, …). A violation rejects the
/// whole message with `validation_failed`. Tests of the transform alone may use `.none`.
public struct CellValidator: Sendable {
    /// A description of the first violation, or `nil` when the cell is valid.
    public let violation: @Sendable (JSONValue) -> String?

    public init(_ violation: @escaping @Sendable (JSONValue) -> String?) { self.violation = violation }

    public static let spec = CellValidator { json in
        do throws(ValidationError) {
            _ = try Cell(json)
            return nil
        } catch {
            return error.description
        }
    }

    public static let none = CellValidator { _ in nil }
}
