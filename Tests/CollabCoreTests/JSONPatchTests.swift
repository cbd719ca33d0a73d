import Testing

@testable import CollabCore

private func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

enum PatchOutcome: Sendable {
    case result(String)
    case error(JSONPatchError.Kind)
}

@Suite struct JSONPatchTests {
    /// RFC 6902 Appendix A, written from the behaviour each example describes:
    /// (name, document, patch, expected result or nil when the patch must fail).
    static let appendixA: [(String, String, String, String?)] = [
        (
            "A.1 add an object member", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#,
            #"{"baz":"qux","foo":"bar"}"#
        ),
        (
            "A.2 add an array element", #"{"foo":["bar","baz"]}"#,
            #"[{"op":"add","path":"/foo/1","value":"qux"}]"#,
            #"{"foo":["bar","qux","baz"]}"#
        ),
        (
            "A.3 remove an object member", #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#,
            #"{"foo":"bar"}"#
        ),
        (
            "A.4 remove an array element", #"{"foo":["bar","qux","baz"]}"#,
            #"[{"op":"remove","path":"/foo/1"}]"#,
            #"{"foo":["bar","baz"]}"#
        ),
        (
            "A.5 replace a value", #"{"baz":"qux","foo":"bar"}"#,
            #"[{"op":"replace","path":"/baz","value":"boo"}]"#,
            #"{"baz":"boo","foo":"bar"}"#
        ),
        (
            "A.6 move a value", #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
            #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#
        ),
        (
            "A.7 move an array element", #"{"foo":["all","grass","cows","eat"]}"#,
            #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#, #"{"foo":["all","cows","eat","grass"]}"#
        ),
        (
            "A.8 test success", #"{"baz":"qux","foo":["a",2,"c"]}"#,
            #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
            #"{"baz":"qux","foo":["a",2,"c"]}"#
        ),
        ("A.9 test failure", #"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, nil),
        (
            "A.10 add a nested member object", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
            #"{"foo":"bar","child":{"grandchild":{}}}"#
        ),
        (
            "A.11 ignore unrecognised members", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#
        ),
        (
            "A.12 add to a nonexistent target", #"{"foo":"bar"}"#,
            #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#,
            nil
        ),
        (
            "A.14 ~ escape ordering", #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#,
            #"{"/":9,"~1":10}"#
        ),
        (
            "A.15 strings and numbers differ", #"{"/":9,"~1":10}"#,
            #"[{"op":"test","path":"/~01","value":"10"}]"#,
            nil
        ),
        (
            "A.16 add an array value", #"{"foo":["bar"]}"#,
            #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#,
            #"{"foo":["bar",["abc","def"]]}"#
        ),
    ]

    @Test(arguments: appendixA)
    func appendixAExamples(name: String, document: String, patch: String, expected: String?) throws {
        let doc = try json(document)
        let p = try JSONPatch.parse(try json(patch))
        if let expected {
            #expect(try p.apply(to: doc) == json(expected), "\(name)")
        } else {
            #expect(throws: JSONPatchError.self, "\(name)") { try p.apply(to: doc) }
        }
    }

    /// Further behaviour: (name, document, patch, expected result or the error kind).
    static let edgeCases: [(String, String, String, PatchOutcome)] = [
        ("replace the root", #"{"a":1}"#, #"[{"op":"replace","path":"","value":[1]}]"#, .result("[1]")),
        ("add at the root", #"{"a":1}"#, #"[{"op":"add","path":"","value":{"b":2}}]"#, .result(#"{"b":2}"#)),
        (
            "add replaces an existing member", #"{"a":1}"#, #"[{"op":"add","path":"/a","value":2}]"#,
            .result(#"{"a":2}"#)
        ),
        ("add at the end index", #"[1,2]"#, #"[{"op":"add","path":"/2","value":3}]"#, .result("[1,2,3]")),
        ("add past the end", #"[1,2]"#, #"[{"op":"add","path":"/3","value":3}]"#, .error(.invalidTarget)),
        (
            "add with a leading-zero index", #"[1,2]"#, #"[{"op":"add","path":"/01","value":3}]"#,
            .error(.invalidTarget)
        ),
        (
            "add into a scalar", #"{"a":1}"#, #"[{"op":"add","path":"/a/b","value":3}]"#,
            .error(.invalidTarget)
        ),
        ("add null value", #"{}"#, #"[{"op":"add","path":"/a","value":null}]"#, .result(#"{"a":null}"#)),
        ("remove a missing member", #"{"a":1}"#, #"[{"op":"remove","path":"/b"}]"#, .error(.pathNotFound)),
        ("remove with '-'", #"[1]"#, #"[{"op":"remove","path":"/-"}]"#, .error(.pathNotFound)),
        ("remove the root", #"{"a":1}"#, #"[{"op":"remove","path":""}]"#, .error(.invalidTarget)),
        (
            "replace a missing member", #"{"a":1}"#, #"[{"op":"replace","path":"/b","value":2}]"#,
            .error(.pathNotFound)
        ),
        (
            "replace an array element", #"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/1","value":5}]"#,
            .result(#"{"a":[1,5]}"#)
        ),
        (
            "replace out of bounds", #"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/2","value":5}]"#,
            .error(.pathNotFound)
        ),
        (
            "move into its own child", #"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/c"}]"#,
            .error(.invalidTarget)
        ),
        ("move onto itself", #"{"a":1}"#, #"[{"op":"move","from":"/a","path":"/a"}]"#, .result(#"{"a":1}"#)),
        (
            "move from a missing path", #"{"a":1}"#, #"[{"op":"move","from":"/x","path":"/b"}]"#,
            .error(.pathNotFound)
        ),
        (
            "copy deep", #"{"a":{"b":[1]}}"#, #"[{"op":"copy","from":"/a","path":"/c"}]"#,
            .result(#"{"a":{"b":[1]},"c":{"b":[1]}}"#)
        ),
        (
            "copy from missing", #"{"a":1}"#, #"[{"op":"copy","from":"/x","path":"/c"}]"#,
            .error(.pathNotFound)
        ),
        (
            "test an object regardless of member order", #"{"a":{"x":1,"y":2}}"#,
            #"[{"op":"test","path":"/a","value":{"y":2,"x":1.0}}]"#, .result(#"{"a":{"x":1,"y":2}}"#)
        ),
        ("test a missing path", #"{}"#, #"[{"op":"test","path":"/a","value":null}]"#, .error(.pathNotFound)),
        (
            "escaped member names", #"{"a/b":{"m~n":1}}"#,
            #"[{"op":"replace","path":"/a~1b/m~0n","value":2}]"#,
            .result(#"{"a/b":{"m~n":2}}"#)
        ),
        (
            "empty member name", #"{"":{"":1}}"#, #"[{"op":"replace","path":"//","value":2}]"#,
            .result(#"{"":{"":2}}"#)
        ),
        (
            "nested array path", #"{"c":[{"id":1},{"id":2}]}"#, #"[{"op":"remove","path":"/c/0/id"}]"#,
            .result(#"{"c":[{},{"id":2}]}"#)
        ),
        ("empty patch", #"{"a":1}"#, #"[]"#, .result(#"{"a":1}"#)),
    ]

    @Test(arguments: edgeCases)
    func edgeCase(name: String, document: String, patch: String, expected: PatchOutcome)
        throws
    {
        let p = try JSONPatch.parse(try json(patch))
        let doc = try json(document)
        switch expected {
        case .result(let text):
            #expect(try p.apply(to: doc) == json(text), "\(name)")
        case .error(let kind):
            do throws(JSONPatchError) {
                let result = try p.apply(to: doc)
                Issue.record("\(name): applied, giving \(result)")
            } catch {
                #expect(error.kind == kind, "\(name): \(error)")
                #expect(error.operationIndex == 0)
            }
        }
    }

    @Test func isAtomic() throws {
        let doc = try json(#"{"a":1,"list":[1,2]}"#)
        let patch = try JSONPatch.parse(
            try json(
                #"[{"op":"replace","path":"/a","value":2},{"op":"remove","path":"/list/0"},{"op":"remove","path":"/zz"}]"#
            ))
        var failure: JSONPatchError?
        do { _ = try patch.apply(to: doc) } catch { failure = error }
        #expect(failure?.operationIndex == 2)
        #expect(failure?.patchPointer == "/2")
        #expect(doc == (try json(#"{"a":1,"list":[1,2]}"#)))
    }

    @Test func appliesToObjectsAndRequiresAnObjectResult() throws {
        let object: [String: JSONValue] = ["name": "x"]
        let ok = try JSONPatch.parse(try json(#"[{"op":"add","path":"/description","value":"d"}]"#))
        #expect(try ok.apply(to: object) == ["name": "x", "description": "d"])
        let bad = try JSONPatch.parse(try json(#"[{"op":"replace","path":"","value":"s"}]"#))
        #expect(throws: JSONPatchError(.invalidResult, "the patched document must remain a JSON object")) {
            try bad.apply(to: object)
        }
    }

    /// Malformed patch documents, each with the operation index its error must name.
    static let malformed: [(String, String, Int?)] = [
        ("not an array", #"{"op":"add"}"#, nil),
        ("operation not an object", #"[1]"#, 0),
        ("missing op", #"[{"path":"/a"}]"#, 0),
        ("op not a string", #"[{"op":1,"path":"/a"}]"#, 0),
        ("unknown op", #"[{"op":"merge","path":"/a","value":1}]"#, 0),
        ("missing path", #"[{"op":"remove"}]"#, 0),
        ("path not a string", #"[{"op":"remove","path":5}]"#, 0),
        ("path without a leading slash", #"[{"op":"remove","path":"a"}]"#, 0),
        ("bad escape in path", #"[{"op":"remove","path":"/a~2"}]"#, 0),
        ("trailing tilde", #"[{"op":"remove","path":"/a~"}]"#, 0),
        ("add without value", #"[{"op":"test","path":"/a","value":1},{"op":"add","path":"/a"}]"#, 1),
        ("replace without value", #"[{"op":"replace","path":"/a"}]"#, 0),
        ("test without value", #"[{"op":"test","path":"/a"}]"#, 0),
        ("move without from", #"[{"op":"move","path":"/a"}]"#, 0),
        ("copy with bad from", #"[{"op":"copy","from":"x","path":"/a"}]"#, 0),
    ]

    @Test(arguments: malformed)
    func rejectsMalformedPatches(name: String, patch: String, index: Int?) throws {
        let document = try json(patch)
        do throws(JSONPatchError) {
            _ = try JSONPatch.parse(document)
            Issue.record("\(name): parsed")
        } catch {
            #expect(error.kind == .malformed, "\(name)")
            #expect(error.operationIndex == index, "\(name)")
        }
    }

    /// RFC 6901 §5 examples.
    @Test func pointerExamplesOfRFC6901() throws {
        let doc = try json(
            #"{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}"#)
        let cases: [(String, JSONValue)] = [
            ("", doc), ("/foo", ["bar", "baz"]), ("/foo/0", "bar"), ("/", 0), ("/a~1b", 1), ("/c%d", 2),
            ("/e^f", 3), ("/g|h", 4), ("/i\\j", 5), ("/k\"l", 6), ("/ ", 7), ("/m~0n", 8),
        ]
        for (text, expected) in cases {
            let pointer = try JSONPointer(text)
            #expect(doc.value(at: pointer) == expected, "\(text)")
            #expect(pointer.description == text)
        }
        #expect(doc.value(at: try JSONPointer("/foo/2")) == nil)
        #expect(doc.value(at: try JSONPointer("/foo/-")) == nil)
        #expect(try JSONPointer("/~01").tokens == ["~1"])
    }

    @Test func reportsModifiedTopLevelMembers() throws {
        let patch = try JSONPatch.parse(
            try json(
                #"""
                [{"op":"test","path":"/id","value":"x"},{"op":"replace","path":"/name","value":"n"},
                 {"op":"copy","from":"/created_at","path":"/description"},{"op":"move","from":"/a/0","path":"/b"},
                 {"op":"add","path":"/metadata/-","value":{"key":"k","value":"v"}}]
                """#))
        #expect(patch.modifiedTopLevelMembers == ["name", "description", "a", "b", "metadata"])
        #expect(patch.firstModification(ofAnyOf: ["id", "created_at"]) == nil)
        #expect(patch.firstModification(ofAnyOf: ["id", "metadata", "b"]) == "/b")
        let root = try JSONPatch.parse(try json(#"[{"op":"replace","path":"","value":{}}]"#))
        #expect(root.firstModification(ofAnyOf: ["id"]) == "")
        let escaped = try JSONPatch.parse(try json(#"[{"op":"remove","path":"/a~1b/c"}]"#))
        #expect(escaped.firstModification(ofAnyOf: ["a/b"]) == "/a~1b")
    }
}
