import Foundation

// A diagram-like document: 1,000 cells with nested attrs, strings with some non-ASCII and escapes.
func makeDoc() -> [UInt8] {
    var cells: [JSONValue] = []
    for i in 0..<1000 {
        let id = String(format: "%08x-0000-4000-8000-%012x", i, i)
        cells.append([
            "id": .string(id), "shape": "process", "position": ["x": .number(Double(i) * 1.5), "y": 20.25],
            "size": ["width": 120, "height": 60], "zIndex": .number(Double(i)),
            "attrs": ["body": ["fill": "#ffffff", "stroke": "#333"], "text": ["text": .string("Prozeß \(i) \"quoted\" €")]],
            "data": ["_metadata": [["key": "k", "value": "v"]], "flag": true, "none": nil],
        ])
    }
    return JSONValue.object(["name": "bench", "type": "DFD-1.0.0", "cells": .array(cells)]).serialized()
}

@main struct Main {
static func main() throws {
let doc = makeDoc()
func measure(_ name: String, _ body: () throws -> Void) rethrows {
    let mb = Double(doc.count) / 1_000_000
    var times: [Double] = []
    for _ in 0..<21 {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    times.sort()
    let median = times[times.count / 2]
    print(String(format: "%-28@ median %.2f ms  %.0f MB/s", name as NSString, median * 1000, mb / median))
}
print("document: \(doc.count) bytes")
try measure("JSONValue.parse (bytes)") { _ = try JSONValue.parse(doc) }
let data = Data(doc)
try measure("JSONDecoder -> JSONValue") { _ = try JSONDecoder().decode(JSONValue.self, from: data) }
try measure("JSONSerialization") { _ = try JSONSerialization.jsonObject(with: data) }
}
}
