import CollabCore
import Storage

/// Every REST route of the threat-model API (endpoints.md), over one store.
public enum ThreatModelAPI {
    public static func specs(live: LiveDiagramHooks? = nil) -> [ChildKindSpec] {
        [
            ChildKindSpec(
                kind: .threats, parameter: "threat_id", schema: ThreatSchema(), timestamps: true,
                patchable: true, bulkCreate: true, bulkUpdateAndBatch: true, deleteRole: .writer),
            ChildKindSpec(
                kind: .documents, parameter: "document_id", schema: DocumentSchema(), timestamps: false,
                patchable: false, bulkCreate: true, bulkUpdateAndBatch: false, deleteRole: .writer),
            ChildKindSpec(
                kind: .sources, parameter: "source_id", schema: SourceSchema(), timestamps: false,
                patchable: false, bulkCreate: true, bulkUpdateAndBatch: false, deleteRole: .writer),
            ChildKindSpec(
                kind: .diagrams, parameter: "diagram_id", schema: DiagramSchema(),
                createSchema: CreateDiagramSchema(), timestamps: true, patchable: true, bulkCreate: false,
                bulkUpdateAndBatch: false, deleteRole: .owner, invalidPatchResultIs422: true, live: live),
        ]
    }

    public static func providers(
        store: ThreatModelStore, now: @escaping @Sendable () -> Double = WallClock.now,
        onModelDeleted: @escaping @Sendable (String) async -> Void = { _ in }, live: LiveDiagramHooks? = nil
    ) -> [any RouteProvider] {
        var out: [any RouteProvider] = [
            ThreatModelRoutes(store: store, now: now, onDelete: onModelDeleted),
            MetadataRoutes(store: store, child: nil, now: now),
        ]
        for spec in specs(live: live) {
            out.append(ChildRoutes(store: store, spec: spec, now: now))
            out.append(MetadataRoutes(store: store, child: (spec.kind, spec.parameter), now: now))
        }
        return out
    }
}
