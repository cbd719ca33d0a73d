/// A data-flow diagram (`DFD-1.0.0`) with its cells.
public struct Diagram: Sendable, Hashable, JSONRepresentable {
    public enum DiagramType: String, Sendable, Hashable, CaseIterable {
        case dfd = "DFD-1.0.0"
    }

    /// A rendered picture of the diagram and the revision it shows (2025-10-12 spec).
    public struct Image: Sendable, Hashable {
        /// Base64 of the SVG text.
        public var svg: String?
        public var updateVector: Int64?

        public init(svg: String? = nil, updateVector: Int64? = nil) {
            self.svg = svg
            self.updateVector = updateVector
        }

        public var json: JSONValue {
            var o: [String: JSONValue] = [:]
            if let svg { o["svg"] = .string(svg) }
            if let updateVector { o["update_vector"] = .number(Double(updateVector)) }
            return .object(o)
        }

        static func parse(_ json: JSONValue, pointer: String) throws(ValidationError) -> Image {
            let r = try ObjectReader(json, pointer: pointer)
            let svg = try r.string("svg")
            if let svg, !Formats.isBase64(svg) {
                throw ValidationError(r.path("svg"), .format, "must be base64 (format: byte)")
            }
            return Image(svg: svg, updateVector: try r.integer("update_vector", minimum: 0))
        }
    }

    public var id: EntityID
    public var name: String
    public var type: DiagramType
    public var cells: [Cell]
    public var metadata: [Metadata]
    /// Server-managed revision, bumped on every change (the collaboration session's counter).
    public var updateVector: Int64
    public var image: Image?
    public var createdAt: Timestamp
    public var modifiedAt: Timestamp

    public init(
        id: EntityID, name: String, type: DiagramType = .dfd, cells: [Cell] = [], metadata: [Metadata] = [],
        updateVector: Int64 = 0, image: Image? = nil, createdAt: Timestamp, modifiedAt: Timestamp
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.cells = cells
        self.metadata = metadata
        self.updateVector = updateVector
        self.image = image
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }

    /// The spec's DfdDiagram (with the 2025-10-12 `update_vector` and `image`).
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": id.json, "name": .string(name), "type": .string(type.rawValue),
            "cells": .array(cells.map(\.json)), "metadata": metadata.json,
            "update_vector": .number(Double(updateVector)), "created_at": createdAt.json,
            "modified_at": modifiedAt.json,
        ]
        if let image { o["image"] = image.json }
        return .object(o)
    }

    /// The diagram after a PUT (or a PATCH, once parsed): the revision moves on by one.
    public func replacing(with input: DiagramInput, at time: Timestamp) -> Diagram {
        var d = self
        d.name = input.name
        d.type = input.type
        d.cells = input.cells
        if let metadata = input.metadata { d.metadata = metadata }
        d.image = input.image.map { Image(svg: $0.svg, updateVector: $0.updateVector ?? updateVector + 1) }
        d.updateVector = updateVector + 1
        d.modifiedAt = time
        return d
    }

    /// Reads a diagram in its rendered form (stored snapshots).
    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Diagram {
        let r = try ObjectReader(json, pointer: pointer)
        let id = try r.uuid("id", required: true)
        let created = try r.timestamp("created_at", required: true)
        let modified = try r.timestamp("modified_at", required: true)
        let vector = try r.integer("update_vector", minimum: 0) ?? 0
        let input = try DiagramInput.parse(json, mode: .replace(existing: json), pointer: pointer)
        guard let id, let created, let modified else {
            throw ValidationError(pointer, .required, "lacks a server field")
        }
        return Diagram(
            id: id, name: input.name, type: input.type, cells: input.cells, metadata: input.metadata ?? [],
            updateVector: vector, image: input.image, createdAt: created, modifiedAt: modified)
    }
}
