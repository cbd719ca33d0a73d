import Testing

@testable import CollabCore

/// Regressions found by the `jsonpatch` fuzz target (docs/fuzzing.md): `copy` can grow a document
/// exponentially, or nest it deeper than the parser accepts, from a patch of a few hundred bytes.
@Suite struct JSONPatchLimitTests {
    static func copies(_ count: Int, from: String, to: String) throws -> JSONPatch {
        let one = #"{"op":"copy","from":"\#(from)","path":"\#(to)"}"#
        return try JSONPatch.parse(
            JSONValue.parse("[" + Array(repeating: one, count: count).joined(separator: ",") + "]"))
    }

    @Test func doublingCopiesAreRefusedBeforeTheyExplode() throws {
        // Each copy of /a appended to /a doubles it: 64 of them would be 2^65 values.
        let patch = try Self.copies(64, from: "/a", to: "/a/-")
        do {
            _ = try patch.apply(to: ["a": [1]])
            Issue.record("a patch of 64 doubling copies was applied")
        } catch {
            #expect(error.kind == .tooLarge)
            #expect(error.operationIndex != nil)
        }
    }

    @Test func copiesWithinTheBudgetStillApply() throws {
        let patch = try Self.copies(10, from: "/a", to: "/a/-")
        let result = try patch.apply(to: ["a": [1]])
        #expect(result["a"]?.countValues(upTo: .max) == 2 << 10)
    }

    @Test func nestingDeeperThanTheParserAcceptsIsRefused() throws {
        // Copying /a into its own child adds one level per operation at constant patch size.
        let document: JSONValue = ["a": ["k": 1]]
        let nest = try Self.copies(JSONValue.maxParseDepth + 1, from: "/a", to: "/a/a")
        do {
            _ = try nest.apply(to: document)
            Issue.record("a patch nesting past \(JSONValue.maxParseDepth) levels was applied")
        } catch {
            #expect(error.kind == .tooLarge)
        }
        // An accepted patch's result always parses back.
        let shallow = try Self.copies(5, from: "/a", to: "/a/a").apply(to: document)
        #expect(try JSONValue.parse(shallow.serialized()) == shallow)
    }
}
