import CollabCore

/// The spec's `ThreatInput`.
public struct ThreatSchema: EntitySchema {
    public init() {}
    public var noun: String { "threat" }
    public var readOnlyFields: Set<String> { ["id", "threat_model_id", "created_at", "modified_at"] }

    public func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue] {
        var v = FieldValidator(
            input,
            allowed: [
                "name", "description", "mitigation", "diagram_id", "cell_id", "severity", "score", "priority",
                "mitigated", "status", "threat_type", "issue_url",
            ])
        try v.string("name", required: true, min: 1, max: 256)
        try v.string("description", max: 1024)
        try v.string("mitigation", max: 1024)
        try v.uuid("diagram_id")
        try v.uuid("cell_id")
        try v.oneOf("severity", ["Unknown", "None", "Low", "Medium", "High", "Critical"], required: true)
        try v.number("score", range: 0...10)
        try v.string("priority", required: true, max: 16)
        try v.bool("mitigated", required: true)
        try v.string("status", required: true, max: 256)
        try v.string("threat_type", required: true, max: 256)
        try v.uri("issue_url")
        return try v.finish()
    }
}

/// The spec's `Document`.
public struct DocumentSchema: EntitySchema {
    public init() {}
    public var noun: String { "document" }
    public var readOnlyFields: Set<String> { ["id"] }

    public func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue] {
        var v = FieldValidator(input, allowed: ["name", "url", "description"])
        try v.string("name", required: true, min: 1, max: 256, forbidden: "<>\"'&")
        try v.uri("url", required: true)
        try v.string("description", max: 1024, nullable: true)
        return try v.finish()
    }
}

/// The spec's `Source`.
public struct SourceSchema: EntitySchema {
    public init() {}
    public var noun: String { "source" }
    public var readOnlyFields: Set<String> { ["id"] }

    public func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue] {
        var v = FieldValidator(input, allowed: ["name", "url", "description", "type", "parameters"])
        try v.string("name", max: 256)
        try v.uri("url", required: true)
        try v.string("description", max: 1024, nullable: true)
        try v.oneOf("type", ["git", "svn", "mercurial", "other"])
        if let p = input["parameters"] {
            guard let o = p.objectValue else {
                throw MetadataRules.fieldError("/parameters", "must be an object")
            }
            var pv = FieldValidator(o, allowed: ["refType", "refValue", "subPath"], pointer: "/parameters")
            try pv.oneOf("refType", ["branch", "tag", "commit"], required: true)
            try pv.string("refValue", required: true, max: 256)
            try pv.string("subPath", max: 256)
            _ = try pv.finish()
        }
        try v.any("parameters") { _ in nil }
        return try v.finish()
    }
}

/// The spec's `CreateDiagramRequest`: `{name, type}`.
public struct CreateDiagramSchema: EntitySchema {
    public init() {}
    public var noun: String { "diagram" }
    public var readOnlyFields: Set<String> {
        ["id", "created_at", "modified_at", "cells", "update_vector", "image"]
    }

    public func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue] {
        var v = FieldValidator(input, allowed: ["name", "type", "description"])
        try v.string("name", required: true, min: 1, max: 256)
        try v.oneOf("type", ["DFD-1.0.0"], required: true)
        try v.string("description", max: 1024, nullable: true)
        return try v.finish()
    }
}

/// The spec's `Diagram` (DFD-1.0.0) for PUT and PATCH; cells are kept losslessly.
public struct DiagramSchema: EntitySchema {
    public init() {}
    public var noun: String { "diagram" }
    public var readOnlyFields: Set<String> { ["id", "created_at", "modified_at", "update_vector"] }

    public func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue] {
        var v = FieldValidator(input, allowed: ["name", "type", "description", "cells", "image"])
        try v.string("name", required: true, min: 1, max: 256)
        try v.oneOf("type", ["DFD-1.0.0"], required: true)
        try v.string("description", max: 1024, nullable: true)
        try v.any("cells", required: true) { $0.arrayValue == nil ? "must be an array" : nil }
        try v.any("image") { $0.objectValue == nil && !$0.isNull ? "must be an object" : nil }
        return try v.finish()
    }
}
