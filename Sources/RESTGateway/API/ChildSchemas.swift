import CollabCore

/// The spec's `ThreatInput`.
public struct ThreatSchema: EntitySchema {
    public init() {}
    public var readOnlyFields: Set<String> { Set(ThreatInput.readOnlyFields) }
    public func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]? {
        try ThreatInput.parse(body, mode: mode).metadata
    }
}

/// The spec's `Document`.
public struct DocumentSchema: EntitySchema {
    public init() {}
    public var readOnlyFields: Set<String> { Set(DocumentInput.readOnlyFields) }
    public func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]? {
        try DocumentInput.parse(body, mode: mode).metadata
    }
}

/// The spec's `Source`.
public struct SourceSchema: EntitySchema {
    public init() {}
    public var readOnlyFields: Set<String> { Set(SourceInput.readOnlyFields) }
    public func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]? {
        try SourceInput.parse(body, mode: mode).metadata
    }
}

/// The spec's `CreateDiagramRequest` (`{name, type}`) for POST.
public struct CreateDiagramSchema: EntitySchema {
    public init() {}
    public var readOnlyFields: Set<String> { Set(DiagramInput.readOnlyFields) }
    public func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]? {
        _ = try CreateDiagramRequest.parse(body)
        return nil
    }
}

/// The spec's `Diagram` (DFD-1.0.0) for PUT and PATCH; every cell rule of `DiagramRules`.
public struct DiagramSchema: EntitySchema {
    public init() {}
    public var readOnlyFields: Set<String> { Set(DiagramInput.readOnlyFields) }
    public func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]? {
        try DiagramInput.parse(body, mode: mode).metadata
    }
}

/// The spec's `ThreatModelInput` (owner is read-only on create, DESIGN §1).
public struct ThreatModelSchema: EntitySchema {
    public init() {}
    public var readOnlyFields: Set<String> { Set(ThreatModelInput.readOnlyFields) }
    public func check(_ body: JSONValue, mode: InputMode) throws(ValidationError) -> [Metadata]? {
        try ThreatModelInput.parse(body, mode: mode).metadata
    }
}
