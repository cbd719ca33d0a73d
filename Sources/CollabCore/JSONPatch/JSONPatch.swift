/// An RFC 6902 JSON Patch document: a sequence of operations applied in order, atomically.
public struct JSONPatch: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case add(path: JSONPointer, value: JSONValue)
        case remove(path: JSONPointer)
        case replace(path: JSONPointer, value: JSONValue)
        case move(from: JSONPointer, path: JSONPointer)
        case copy(from: JSONPointer, path: JSONPointer)
        case test(path: JSONPointer, value: JSONValue)

        public var path: JSONPointer {
            switch self {
            case .add(let p, _), .remove(let p), .replace(let p, _), .test(let p, _): p
            case .move(_, let p), .copy(_, let p): p
            }
        }
    }

    public var operations: [Operation]

    public init(_ operations: [Operation]) {
        self.operations = operations
    }

    /// Parses a patch document (RFC 6902 §3: an array of operation objects).
    ///
    /// §4: each object MUST have exactly one `op` naming one of the six operations and a `path`
    /// that is a JSON Pointer; `add`/`replace`/`test` MUST have a `value` (which may be null);
    /// `move`/`copy` MUST have a `from`; other members are ignored.
    public static func parse(_ json: JSONValue) throws(JSONPatchError) -> JSONPatch {
        guard let items = json.arrayValue else {
            throw JSONPatchError(.malformed, "a JSON Patch document must be an array of operations")
        }
        var operations: [Operation] = []
        operations.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do throws(JSONPatchError) {
                operations.append(try parseOperation(item))
            } catch {
                throw error.at(index)
            }
        }
        return JSONPatch(operations)
    }

    static func parseOperation(_ item: JSONValue) throws(JSONPatchError) -> Operation {
        guard let object = item.objectValue else {
            throw JSONPatchError(.malformed, "an operation must be an object")
        }
        guard let opValue = object["op"] else { throw JSONPatchError(.malformed, "missing 'op'") }
        guard let op = opValue.stringValue else { throw JSONPatchError(.malformed, "'op' must be a string") }
        let path = try pointer(object, "path")
        func value() throws(JSONPatchError) -> JSONValue {
            guard let v = object["value"] else {
                throw JSONPatchError(.malformed, "'\(op)' needs a 'value'")
            }
            return v
        }
        switch op {
        case "add": return .add(path: path, value: try value())
        case "remove": return .remove(path: path)
        case "replace": return .replace(path: path, value: try value())
        case "move": return .move(from: try pointer(object, "from"), path: path)
        case "copy": return .copy(from: try pointer(object, "from"), path: path)
        case "test": return .test(path: path, value: try value())
        default:
            throw JSONPatchError(
                .malformed, "unknown op '\(op)' (expected add, remove, replace, move, copy or test)")
        }
    }

    static func pointer(_ object: [String: JSONValue], _ member: String) throws(JSONPatchError) -> JSONPointer
    {
        guard let value = object[member] else { throw JSONPatchError(.malformed, "missing '\(member)'") }
        guard let text = value.stringValue else {
            throw JSONPatchError(.malformed, "'\(member)' must be a JSON Pointer string")
        }
        return try JSONPointer(text)
    }
}

extension JSONPatch {
    /// The top-level members of the target that the patch would change, as pointers of one token
    /// (`/name`), plus `""` when an operation replaces the whole document. `test` changes nothing,
    /// `copy` changes only its `path`, `move` changes both ends. Handlers refuse a patch whose
    /// set meets a read-only field (DESIGN §1).
    public var modifiedTopLevelMembers: Set<String> {
        var out = Set<String>()
        func note(_ p: JSONPointer) {
            out.insert(p.tokens.first ?? "")
        }
        for op in operations {
            switch op {
            case .test: break
            case .move(let from, let path):
                note(from)
                note(path)
            default: note(op.path)
            }
        }
        return out
    }

    /// The first top-level member in `fields` the patch would change, as a pointer (`/id`), or
    /// `""` when the patch replaces the whole document; nil when it leaves them all alone.
    public func firstModification(ofAnyOf fields: Set<String>) -> String? {
        let touched = modifiedTopLevelMembers
        if touched.contains("") { return "" }
        return touched.intersection(fields).sorted().first.map { JSONPointer(tokens: [$0]).description }
    }
}
