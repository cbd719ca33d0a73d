/// Why a JSON Patch document could not be parsed or applied. Handlers map every kind to a 400
/// (RFC 5789 leaves the status to the server; the endpoint list names 400 for all of them).
public struct JSONPatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The patch document itself is not valid RFC 6902 (not an array, missing members, bad
        /// pointer, unknown op).
        case malformed
        /// A path or `from` names a location that does not exist (RFC 6902 §4.2-4.5, §A.12).
        case pathNotFound
        /// The operation cannot be performed on the target (adding into a scalar, array index out
        /// of bounds, moving a value into its own child).
        case invalidTarget
        /// A `test` operation found a different value (RFC 6902 §4.6).
        case testFailed
        /// The result is not the kind of document expected (e.g. a whole entity replaced by a string).
        case invalidResult
        /// The result would be too large or nest too deeply (`JSONPatch+Limits.swift`).
        case tooLarge
    }

    public var kind: Kind
    /// Index of the failing operation in the patch array, when there is one.
    public var operationIndex: Int?
    public var message: String

    public init(_ kind: Kind, _ message: String, operationIndex: Int? = nil) {
        self.kind = kind
        self.message = message
        self.operationIndex = operationIndex
    }

    public var description: String {
        if let operationIndex { return "patch operation \(operationIndex): \(message)" }
        return message
    }

    /// A pointer into the patch document for the error body's `details` (e.g. `/2`).
    public var patchPointer: String {
        operationIndex.map { "/\($0)" } ?? ""
    }

    /// The spec's Error `details`: `{code, context: {operation}}`, e.g.
    /// `{"code":"patch_test_failed","context":{"operation":"/2"}}`.
    public var details: JSONValue {
        let code: String =
            switch kind {
            case .malformed: "patch_malformed"
            case .pathNotFound: "patch_path_not_found"
            case .invalidTarget: "patch_invalid_target"
            case .testFailed: "patch_test_failed"
            case .invalidResult: "patch_invalid_result"
            case .tooLarge: "patch_too_large"
            }
        return ["code": .string(code), "context": ["operation": .string(patchPointer)]]
    }

    func at(_ index: Int) -> JSONPatchError {
        var copy = self
        copy.operationIndex = index
        return copy
    }
}
