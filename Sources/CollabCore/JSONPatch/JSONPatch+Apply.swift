/// Applying a JSON Patch (RFC 6902 §4, §5).
extension JSONPatch {
    /// Applies every operation in order to a copy of `document` and returns the result. §5: if
    /// any operation fails, the whole patch fails and `document` is untouched (value semantics:
    /// the caller's value is never mutated).
    public func apply(to document: JSONValue) throws(JSONPatchError) -> JSONValue {
        var result = document
        var copyBudget = Self.maxCopiedValues
        for (index, operation) in operations.enumerated() {
            do throws(JSONPatchError) {
                if case .copy(let from, _) = operation, let value = result.value(at: from) {
                    try Self.chargeCopy(value, budget: &copyBudget)
                }
                try result.apply(operation)
            } catch {
                throw error.at(index)
            }
        }
        try Self.checkDepth(result)
        return result
    }

    /// Applies the patch to an entity's object form; the result must still be an object.
    public func apply(to object: [String: JSONValue]) throws(JSONPatchError) -> [String: JSONValue] {
        guard let result = try apply(to: .object(object)).objectValue else {
            throw JSONPatchError(.invalidResult, "the patched document must remain a JSON object")
        }
        return result
    }
}

extension JSONValue {
    mutating func apply(_ operation: JSONPatch.Operation) throws(JSONPatchError) {
        switch operation {
        case .add(let path, let value):
            try add(value, at: path)
        case .remove(let path):
            _ = try remove(at: path)
        case .replace(let path, let value):
            // §4.3: the target location MUST exist.
            guard self.value(at: path) != nil else { throw Self.notFound(path) }
            if path.isRoot {
                self = value
            } else {
                try withParent(of: path) { parent, last throws(JSONPatchError) in
                    try parent.setExisting(value, token: last, path: path)
                }
            }
        case .move(let from, let path):
            if from == path { return }
            // §4.4: the `from` location MUST NOT be a proper prefix of `path`.
            if path.hasPrefix(from) {
                throw JSONPatchError(.invalidTarget, "cannot move '\(from)' into its own child '\(path)'")
            }
            let value = try remove(at: from)
            try add(value, at: path)
        case .copy(let from, let path):
            guard let value = self.value(at: from) else { throw Self.notFound(from) }
            try add(value, at: path)
        case .test(let path, let expected):
            guard let actual = self.value(at: path) else { throw Self.notFound(path) }
            // §4.6: JSON equality; numbers compare by value and object member order is irrelevant.
            guard actual == expected else {
                throw JSONPatchError(.testFailed, "test failed: the value at '\(path)' differs")
            }
        }
    }

    static func notFound(_ path: JSONPointer) -> JSONPatchError {
        JSONPatchError(.pathNotFound, "no value at '\(path)'")
    }

    /// §4.1: add to an object sets the member; add to an array inserts before the index (or
    /// appends for `-`); the parent MUST exist and an index past the end is an error.
    mutating func add(_ value: JSONValue, at path: JSONPointer) throws(JSONPatchError) {
        if path.isRoot {
            self = value
            return
        }
        try withParent(of: path) { parent, last throws(JSONPatchError) in
            switch parent {
            case .object(var o):
                parent = .null
                o[last] = value
                parent = .object(o)
            case .array(var a):
                let index: Int
                if last == "-" {
                    index = a.count
                } else {
                    guard let i = JSONPointer.arrayIndex(last), i <= a.count else {
                        throw JSONPatchError(
                            .invalidTarget, "array index '\(last)' is out of bounds in '\(path)'")
                    }
                    index = i
                }
                parent = .null
                a.insert(value, at: index)
                parent = .array(a)
            default:
                throw JSONPatchError(.invalidTarget, "cannot add '\(path)': its parent is not a container")
            }
        }
    }

    /// §4.2: the target location MUST exist; array elements after it shift left.
    mutating func remove(at path: JSONPointer) throws(JSONPatchError) -> JSONValue {
        guard !path.isRoot else {
            throw JSONPatchError(.invalidTarget, "cannot remove the whole document")
        }
        var removed: JSONValue = .null
        try withParent(of: path) { parent, last throws(JSONPatchError) in
            switch parent {
            case .object(var o):
                parent = .null
                guard let old = o.removeValue(forKey: last) else { throw Self.notFound(path) }
                removed = old
                parent = .object(o)
            case .array(var a):
                guard let i = JSONPointer.arrayIndex(last), i < a.count else { throw Self.notFound(path) }
                parent = .null
                removed = a.remove(at: i)
                parent = .array(a)
            default:
                throw Self.notFound(path)
            }
        }
        return removed
    }

    mutating func setExisting(_ value: JSONValue, token: String, path: JSONPointer) throws(JSONPatchError) {
        switch self {
        case .object(var o):
            self = .null
            o[token] = value
            self = .object(o)
        case .array(var a):
            guard let i = JSONPointer.arrayIndex(token), i < a.count else { throw Self.notFound(path) }
            self = .null
            a[i] = value
            self = .array(a)
        default:
            throw Self.notFound(path)
        }
    }

    /// Walks to the container holding the last token of `path` and lets `body` change it in
    /// place. Each level is moved out of its parent while it is changed, so the containers stay
    /// uniquely referenced and are not copied.
    mutating func withParent(
        of path: JSONPointer, _ body: (inout JSONValue, String) throws(JSONPatchError) -> Void
    ) throws(JSONPatchError) {
        try descend(path.tokens.dropLast()[...], path: path) { parent throws(JSONPatchError) in
            try body(&parent, path.tokens[path.tokens.count - 1])
        }
    }

    mutating func descend(
        _ tokens: ArraySlice<String>, path: JSONPointer,
        _ body: (inout JSONValue) throws(JSONPatchError) -> Void
    ) throws(JSONPatchError) {
        guard let token = tokens.first else {
            try body(&self)
            return
        }
        let rest = tokens.dropFirst()
        switch self {
        case .object(var o):
            guard var child = o[token] else { throw Self.notFound(path) }
            self = .null
            o[token] = .null
            try child.descend(rest, path: path, body)
            o[token] = child
            self = .object(o)
        case .array(var a):
            guard let i = JSONPointer.arrayIndex(token), i < a.count else { throw Self.notFound(path) }
            var child = a[i]
            self = .null
            a[i] = .null
            try child.descend(rest, path: path, body)
            a[i] = child
            self = .array(a)
        default:
            throw Self.notFound(path)
        }
    }
}
