/// Bounds on what a patch may build. A patch document is small, but `copy` duplicates a subtree
/// without its size showing in the patch: forty `{"op":"copy","from":"/a","path":"/a/x"}` double
/// the document forty times (2^40 values), and repeated copies into a subtree nest it ever deeper.
/// The `jsonpatch` fuzz target found the first within minutes (docs/fuzzing.md); without these
/// limits one small PATCH hangs the server serializing it, or stores a document deeper than the
/// parser accepts, which could then never be read back.
extension JSONPatch {
    /// Most values (every array, object and scalar counted) all `copy` operations of one patch
    /// may duplicate together: far above any real diagram edit, far below what hurts.
    public static let maxCopiedValues = 1 << 20

    /// Throws `.tooLarge` once the copies of this patch would pass `maxCopiedValues`.
    static func chargeCopy(_ value: JSONValue, budget: inout Int) throws(JSONPatchError) {
        budget -= value.countValues(upTo: budget + 1)
        if budget < 0 {
            throw JSONPatchError(.tooLarge, "the patch copies more than \(maxCopiedValues) JSON values")
        }
    }

    /// The result must nest no deeper than a JSON document the server would parse.
    static func checkDepth(_ document: JSONValue) throws(JSONPatchError) {
        if document.nestingDepth(upTo: JSONValue.maxParseDepth + 1) > JSONValue.maxParseDepth {
            throw JSONPatchError(
                .tooLarge, "the patched document nests deeper than \(JSONValue.maxParseDepth) levels")
        }
    }
}

extension JSONValue {
    /// The number of values in this tree, counting stops once it passes `limit`.
    func countValues(upTo limit: Int) -> Int {
        var count = 0
        var stack: [JSONValue] = [self]
        while let value = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch value {
            case .array(let a): stack.append(contentsOf: a)
            case .object(let o): stack.append(contentsOf: o.values)
            default: break
            }
        }
        return count
    }

    /// How deeply arrays and objects nest (a scalar is 0, `[]` is 1); stops descending past
    /// `limit`, so neither time nor stack depends on how deep the tree really is.
    func nestingDepth(upTo limit: Int) -> Int {
        var deepest = 0
        var stack: [(JSONValue, Int)] = [(self, 0)]
        while let (value, depth) = stack.popLast() {
            let children: [JSONValue]
            switch value {
            case .array(let a): children = a
            case .object(let o): children = Array(o.values)
            default: continue
            }
            deepest = max(deepest, depth + 1)
            if deepest > limit { return deepest }
            for child in children { stack.append((child, depth + 1)) }
        }
        return deepest
    }
}
