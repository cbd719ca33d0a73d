import CollabCore
import Storage
import WireProtocol

/// The REST routes of a node of several (DESIGN §11, docs/cluster.md), wrapped so that:
///
/// - a request naming a threat model first reads that model back from the shared store, so it
///   sees what other nodes wrote (each node keeps its own memory of the state); the list of
///   threat models first reads back every model whose revision moved (`refreshChanged`);
/// - a write to a diagram whose live session runs on another node is forwarded to that owner
///   (same method, target, body and the caller's own credentials, which every node accepts),
///   where it becomes an operation of the session like any REST write to a live diagram; a
///   diagram whose owner is gone is first taken over here (lazy failover) and written here.
///
/// Forwarded requests carry `X-TMI-Forwarded-By`; a node never forwards one again (no loops).
struct SharedStoreRoutes: RouteProvider {
    let inner: [any RouteProvider]
    let store: ThreatModelStore
    let cluster: ClusterCoordinator

    static let forwardedHeader = "X-TMI-Forwarded-By"

    var routes: [Route] {
        inner.flatMap(\.routes).map { route in
            if Self.listsAcrossModels(route) { return Self.refreshingChanged(route, store) }
            guard route.pattern.hasPrefix("/threat_models/{threat_model_id}") else { return route }
            var wrapped = route
            let handler = route.handler
            let forwardable =
                route.pattern == "/threat_models/{threat_model_id}/diagrams/{diagram_id}"
                && ["PUT", "PATCH"].contains(route.method)
            let store = self.store
            let cluster = self.cluster
            wrapped.handler = { ctx in
                if let model = ctx.pathParameters["threat_model_id"].flatMap(UUIDText.normalized) {
                    try await store.refreshForRequest(model: model)
                    if forwardable,
                        let diagram = ctx.pathParameters["diagram_id"].flatMap(UUIDText.normalized),
                        let response = try await Self.forwardIfOwnedElsewhere(
                            ctx, model: model, diagram: diagram, cluster)
                    {
                        return response
                    }
                }
                return try await handler(ctx)
            }
            return wrapped
        }
    }

    /// Routes that read many models without naming one: `GET /threat_models` (every filter and
    /// page is answered from memory). `GET /collaboration/sessions` refreshes in its own handler
    /// (`listInCluster`), the console's feed in `sessionsMessage`.
    static func listsAcrossModels(_ route: Route) -> Bool {
        route.method == "GET" && route.pattern == "/threat_models"
    }

    /// `route`, after every model another node changed is read back (`refreshChanged`: one small
    /// query, then only what moved), so the list shows what any node acknowledged before.
    static func refreshingChanged(_ route: Route, _ store: ThreatModelStore) -> Route {
        var wrapped = route
        let handler = route.handler
        wrapped.handler = { ctx in
            try await store.refreshChangedForRequest()
            return try await handler(ctx)
        }
        return wrapped
    }

    /// The owner's answer when another node owns the diagram's live session; nil to handle here.
    static func forwardIfOwnedElsewhere(
        _ ctx: RequestContext, model: String, diagram: String, _ cluster: ClusterCoordinator
    ) async throws -> HTTPResponse? {
        let owner: String?
        do {
            owner = try await cluster.directory.owner(of: diagram)?.nodeID
        } catch {
            throw APIError.unavailable(error.description)
        }
        guard let owner, owner != cluster.nodeID else { return nil }
        // A live session elsewhere (or a dead owner's lease): join the cluster's placement.
        guard
            case .remote(let node, let url) = try await cluster.place(
                model: model, diagram: diagram, host: nil)
        else { return nil }
        return try await cluster.forward(ctx, to: url, node: node)
    }
}
