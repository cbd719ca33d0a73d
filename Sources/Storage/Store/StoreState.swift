import CollabCore

/// The kinds of entity that live under a threat model, named as their URL segment.
public enum ChildKind: String, Sendable, CaseIterable, Hashable {
    case threats, documents, sources, diagrams
}

/// Where a metadata list hangs: on a threat model, or on one of its children.
public enum MetadataTarget: Sendable, Hashable {
    case model(String)
    case child(ChildKind, model: String, id: String)

    public var modelID: String {
        switch self {
        case .model(let m): m
        case .child(_, let m, _): m
        }
    }
}

/// Metadata entries in insertion order; keys are unique (DESIGN §10: POST of an existing key
/// replaces its value).
public struct MetadataList: Sendable, Equatable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: String] = [:]

    public init() {}

    public subscript(key: String) -> String? { values[key] }
    public var count: Int { keys.count }

    public mutating func set(_ key: String, _ value: String) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    @discardableResult
    public mutating func remove(_ key: String) -> Bool {
        guard values.removeValue(forKey: key) != nil else { return false }
        keys.removeAll { $0 == key }
        return true
    }

    /// Inserts an absent key at `position` (0...count): only `StoreState.undo` needs it.
    mutating func restore(_ key: String, _ value: String, at position: Int) {
        values[key] = value
        keys.insert(key, at: position)
    }

    /// The spec's `Metadata` array: `[{key, value}]`.
    public var json: JSONValue {
        .array(keys.map { .object(["key": .string($0), "value": .string(values[$0]!)]) })
    }
}

/// One threat, document, source or diagram: its stored fields (no `metadata`) and its metadata.
public struct ChildRecord: Sendable, Equatable {
    public var fields: [String: JSONValue]
    public var metadata = MetadataList()

    public init(fields: [String: JSONValue], metadata: MetadataList = MetadataList()) {
        self.fields = fields
        self.metadata = metadata
    }
}

/// The children of one kind, in creation order.
public struct ChildCollection: Sendable, Equatable {
    public private(set) var ids: [String] = []
    public private(set) var items: [String: ChildRecord] = [:]

    public init() {}

    public subscript(id: String) -> ChildRecord? {
        get { items[id] }
        set {
            if let newValue {
                if items.updateValue(newValue, forKey: id) == nil { ids.append(id) }
            } else if items.removeValue(forKey: id) != nil {
                ids.removeAll { $0 == id }
            }
        }
    }

    /// Sets the fields of `id` (keeping its metadata), appending it when new. Mutates in place.
    public mutating func put(_ id: String, fields: [String: JSONValue]) {
        if items[id] != nil {
            items[id]!.fields = fields
        } else {
            items[id] = ChildRecord(fields: fields)
            ids.append(id)
        }
    }

    public var count: Int { ids.count }

    /// Inserts an absent child at `position` (0...count): only `StoreState.undo` needs it.
    mutating func restore(_ id: String, _ record: ChildRecord, at position: Int) {
        items[id] = record
        ids.insert(id, at: position)
    }

    public var ordered: [ChildRecord] { ids.compactMap { items[$0] } }
}

/// One threat model with everything under it.
public struct ThreatModelRecord: Sendable, Equatable {
    /// The model's own fields (id, name, owner, authorization, created_at, ...), without nested
    /// collections or metadata.
    public var fields: [String: JSONValue] {
        didSet { refreshAccess() }
    }
    public var metadata = MetadataList()
    public var children: [ChildKind: ChildCollection] = [:]
    /// `owner` and `authorization` indexed for O(1) access checks; rebuilt only when either
    /// changes (a JSON array compare is O(1) while the array's storage is shared).
    public private(set) var access: AccessIndex
    private var accessSource: (owner: JSONValue?, authorization: JSONValue?)

    public init(fields: [String: JSONValue]) {
        self.fields = fields
        access = Self.index(fields)
        accessSource = (fields["owner"], fields["authorization"])
    }

    private mutating func refreshAccess() {
        guard fields["owner"] != accessSource.owner || fields["authorization"] != accessSource.authorization
        else { return }
        access = Self.index(fields)
        accessSource = (fields["owner"], fields["authorization"])
    }

    /// Entries that do not parse (none are stored: the API validates) are skipped, never fatal.
    static func index(_ fields: [String: JSONValue]) -> AccessIndex {
        let entries = (fields["authorization"]?.arrayValue ?? []).compactMap { try? Authorization.parse($0) }
        return AccessIndex(owner: fields["owner"]?.stringValue ?? "", authorization: entries)
    }

    public static func == (a: ThreatModelRecord, b: ThreatModelRecord) -> Bool {
        a.fields == b.fields && a.metadata == b.metadata && a.children == b.children
    }

    public func collection(_ kind: ChildKind) -> ChildCollection { children[kind] ?? ChildCollection() }
}

/// Everything the server stores, in memory. A value type: copying it for a snapshot is O(1)
/// until the next write (copy-on-write of its dictionaries).
public struct StoreState: Sendable, Equatable {
    public var models: [String: ThreatModelRecord] = [:]
    /// Each diagram's fencing high-water mark: the newest ownership token any node wrote with
    /// (`StoreMutation.fence`). Empty on a single node.
    public var fences: [DiagramKey: UInt64] = [:]

    public init() {}

    /// Metadata of a target, or nil when the target does not exist.
    public func metadata(of target: MetadataTarget) -> MetadataList? {
        switch target {
        case .model(let m): models[m]?.metadata
        case .child(let kind, let m, let id): models[m]?.children[kind]?[id]?.metadata
        }
    }
}

/// A diagram named by its threat model (a diagram id is unique only within its model).
public struct DiagramKey: Sendable, Hashable {
    public var model: String
    public var diagram: String

    public init(model: String, diagram: String) {
        self.model = model
        self.diagram = diagram
    }
}

extension StoreState {
    /// Why `batch` must be refused because it carries a fencing token older than the newest
    /// its diagram has seen; nil when it may be written.
    public func fenceRefusal(_ batch: [StoreMutation]) -> StoreUnavailable? {
        for case .fence(let m, let d, let token) in batch {
            if let newest = fences[DiagramKey(model: m, diagram: d)], newest > token {
                return .fenced("fenced: ownership token \(token) is older than \(newest) for diagram \(d)")
            }
        }
        return nil
    }
}
