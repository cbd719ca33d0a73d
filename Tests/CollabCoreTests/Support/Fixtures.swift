@testable import CollabCore

/// Valid bodies and ids shared by model, validation and access tests.
enum Fixtures {
    static let nodeA = "6f1e2a4c-0b7d-4c3e-9a1f-2b3c4d5e6f70"
    static let nodeB = "7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d"
    static let edge = "8b3c4d5e-6f7a-4b2c-9d3e-4f5a6b7c8d9e"
    static let t0 = Timestamp(millisecondsSinceEpoch: 1_743_940_800_000)  // 2025-04-06T12:00:00Z

    static func json(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .string("fixture does not parse: \(text)")
    }

    static let threat = json(
        #"{"name":"Data breach","severity":"High","priority":"P1","mitigated":false,"status":"Open","threat_type":"Information Disclosure"}"#
    )
    static let document = json(#"{"name":"Design","url":"https://example.com/design.pdf"}"#)
    static let source = json(
        #"{"name":"repo","type":"git","url":"https://github.com/example/repo.git","parameters":{"refType":"branch","refValue":"main"}}"#
    )
    static let threatModel = json(#"{"name":"System","threat_model_framework":"STRIDE"}"#)
    static let createDiagram = json(#"{"name":"Overview","type":"DFD-1.0.0"}"#)

    /// A flat-geometry node, a nested-geometry node with unknown X6 properties, and an edge.
    static let cells = json(
        """
        [{"id":"\(nodeA)","shape":"process","x":10,"y":20,"width":120,"height":60,"zIndex":1,
          "attrs":{"body":{"fill":"#fff"},"text":{"text":"API"}},"customX6":{"deep":[1,{"k":null}]}},
         {"id":"\(nodeB)","shape":"store","position":{"x":300,"y":40},"size":{"width":80,"height":40},
          "ports":{"items":[{"id":"p1","group":"in"}]},"tools":[{"name":"boundary"}],"data":{"_metadata":[{"key":"k","value":"v"}],"extra":true}},
         {"id":"\(edge)","shape":"edge","source":{"cell":"\(nodeA)","port":"out"},"target":{"cell":"\(nodeB)"},
          "vertices":[{"x":1,"y":2}],"router":{"name":"manhattan","args":{"step":10}},"connector":"rounded",
          "labels":[{"position":0.5,"attrs":{"text":{"text":"flow"}}}],"unknownEdgeProp":"kept"}]
        """)

    static var diagram: JSONValue {
        ["name": "Overview", "type": "DFD-1.0.0", "cells": cells]
    }
}
