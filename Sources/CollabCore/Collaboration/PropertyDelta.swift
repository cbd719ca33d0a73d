/// A client's change to one cell, as the set of property paths it altered (DESIGN §6).
///
/// Objects recurse: moving a node changes `x`/`y` (or `position.x`), relabelling changes `attrs.text.text`
/// or `label`, and the two paths are disjoint, so both survive when applied to the current cell.
/// Arrays are atomic (`vertices`, `ports.items`, `labels`): merging array elements by index would
/// invent states neither user drew, so an altered array is replaced whole and the later arrival
/// wins. A `nil` value deletes the property. The empty path means "the whole cell".
public struct PropertyChange: Sendable, Equatable {
    public var path: [String]
    public var value: JSONValue?

    public init(path: [String], value: JSONValue?) {
        self.path = path
        self.value = value
    }
}

public enum PropertyDelta {
    /// The paths where `new` differs from `old`. With no `old` (the client never saw the cell) the
    /// change is the whole cell.
    public static func changes(from old: JSONValue?, to new: JSONValue) -> [PropertyChange] {
        guard let old else { return [PropertyChange(path: [], value: new)] }
        var out: [PropertyChange] = []
        var path: [String] = []
        diff(old, new, path: &path, into: &out)
        return out
    }

    /// A partial update (a `data` without `shape`): only the properties it names change; each named
    /// property becomes exactly the value sent, diffed against what the client saw so that a
    /// nested property the client did not touch is not reverted. `id` is never changed.
    public static func partialChanges(from old: JSONValue?, named data: JSONValue) -> [PropertyChange] {
        guard case .object(let named) = data else { return [] }
        var out: [PropertyChange] = []
        var path: [String] = []
        for (key, value) in named where key != "id" {
            path.append(key)
            if let seen = old?[key] {
                diff(seen, value, path: &path, into: &out)
            } else {
                out.append(PropertyChange(path: path, value: value))
            }
            path.removeLast()
        }
        return out
    }

    private static func diff(
        _ old: JSONValue, _ new: JSONValue, path: inout [String], into out: inout [PropertyChange]
    ) {
        guard case .object(let o) = old, case .object(let n) = new else {
            if old != new { out.append(PropertyChange(path: path, value: new)) }
            return
        }
        for (key, nv) in n {
            path.append(key)
            if let ov = o[key] {
                if ov != nv { diff(ov, nv, path: &path, into: &out) }
            } else {
                out.append(PropertyChange(path: path, value: nv))
            }
            path.removeLast()
        }
        for key in o.keys where n[key] == nil {
            path.append(key)
            out.append(PropertyChange(path: path, value: nil))
            path.removeLast()
        }
    }

    /// Applies `changes` to `cell` in order. Setting below a property that is missing or not an
    /// object makes it an object (the later arrival wins); deleting below a missing one does nothing.
    public static func apply(_ changes: [PropertyChange], to cell: inout JSONValue) {
        for change in changes { set(change.value, at: change.path[...], in: &cell) }
    }

    static func set(_ value: JSONValue?, at path: ArraySlice<String>, in target: inout JSONValue) {
        guard let key = path.first else {
            if let value { target = value }
            return
        }
        var object: [String: JSONValue]
        if case .object(let o) = target {
            object = o
            target = .null  // drop the second reference so the dictionary mutates in place
        } else {
            if value == nil { return }
            object = [:]
        }
        if path.count == 1 {
            object[key] = value
        } else if var child = object[key] {
            object[key] = .null
            set(value, at: path.dropFirst(), in: &child)
            object[key] = child
        } else if value != nil {
            var child = JSONValue.object([:])
            set(value, at: path.dropFirst(), in: &child)
            object[key] = child
        }
        target = .object(object)
    }

    /// Whether `changes` only give a cell new finite numbers for its position (`x`, `y`,
    /// `position.x`, `position.y`), which the spec leaves unconstrained: such a change keeps a
    /// valid cell valid, so it needs no re-validation.
    public static func onlyMovesPosition(_ changes: [PropertyChange]) -> Bool {
        changes.allSatisfy { change in
            guard case .number(let n)? = change.value, n.isFinite else { return false }
            switch change.path.count {
            case 1: return change.path[0] == "x" || change.path[0] == "y"
            case 2: return change.path[0] == "position" && (change.path[1] == "x" || change.path[1] == "y")
            default: return false
            }
        }
    }

    /// The value at `path`, or `nil` when some step is missing.
    public static func value(at path: [String], in cell: JSONValue?) -> JSONValue? {
        var current = cell
        for key in path {
            guard let c = current?[key] else { return nil }
            current = c
        }
        return current
    }
}
