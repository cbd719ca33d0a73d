// libFuzzer target: RFC 6902 JSON Patch parse + apply on a valid document shaped like a diagram
// (the PATCH .../diagrams/{id} path). Half the inputs are raw JSON text (so the dictionary and
// mutations reach the parser), half are decoded as a program of well-formed operations over a
// pool of pointers (so deep apply paths are reached quickly). Checks: a failed patch leaves the
// document untouched; a successful one yields a document that serializes and parses back equal.
@testable import CollabCore

private let document: JSONValue = [
    "id": "00000000-0000-4000-8000-000000000001", "name": "fuzz", "description": "d",
    "cells": [
        ["id": "a", "shape": "process", "x": 1, "y": 2, "attrs": ["text": ["text": "A"]]],
        ["id": "b", "shape": "edge", "source": ["cell": "a"], "target": ["cell": "a"], "labels": [1, 2, 3]],
    ],
    "metadata": [["key": "k", "value": "v"]], "tags": [], "nested": ["a/b": ["m~n": [true, nil, 0.5]]],
]

private let pointers = [
    "", "/name", "/cells", "/cells/0", "/cells/1", "/cells/-", "/cells/0/attrs", "/cells/0/attrs/text/text",
    "/cells/1/labels/0", "/cells/1/labels/-", "/cells/2", "/metadata/0/value", "/tags/-", "/nested/a~1b",
    "/nested/a~1b/m~0n/1", "/missing", "/cells/01", "/cells/0/x", "/description", "/new",
]
private let values: [JSONValue] = [
    nil, true, 1, "s", [], [:], ["x": [1, 2]], [["id": "c", "shape": "actor"]],
]

private func program(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue {
    var ops: [JSONValue] = []
    var i = 0
    func next() -> Int {
        defer { i += 1 }
        return i < bytes.count ? Int(bytes[i]) : 0
    }
    while i < bytes.count && ops.count < 64 {
        let op = ["add", "remove", "replace", "move", "copy", "test", "bogus"][next() % 7]
        var o: [String: JSONValue] = ["op": .string(op), "path": .string(pointers[next() % pointers.count])]
        if ["move", "copy"].contains(op) { o["from"] = .string(pointers[next() % pointers.count]) }
        if ["add", "replace", "test"].contains(op) { o["value"] = values[next() % values.count] }
        ops.append(.object(o))
    }
    return .array(ops)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONPatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let rest = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let json: JSONValue
    if data[0] & 1 == 0 {
        guard let parsed = try? JSONValue.parse(Array(rest)) else { return 0 }
        json = parsed
    } else {
        json = program(rest)
    }
    guard let patch = try? JSONPatch.parse(json) else { return 0 }
    let original = document
    do {
        let result = try patch.apply(to: document)
        let text = result.serialized()
        guard let back = try? JSONValue.parse(text), back == result else {
            fatalError("the patched document does not survive serialization")
        }
    } catch {
        guard document == original else { fatalError("a failed patch changed the document") }
    }
    return 0
}
