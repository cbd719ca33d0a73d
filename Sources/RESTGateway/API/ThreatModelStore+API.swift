import Storage
import WireProtocol

/// The store as the handlers use it: their closures throw `APIError`, and a backend that cannot
/// make a change durable becomes a 503 `storage_unavailable` with `Retry-After` (nothing was
/// acknowledged, so the client may simply try again).
extension ThreatModelStore {
    public func commit<T>(_ body: (StoreState) throws(APIError) -> (T, [StoreMutation])) throws(APIError)
        -> (result: T, ticket: UInt64?)
    {
        try commit(body, unavailable: APIError.storeUnavailable)
    }

    public func waitDurable(_ ticket: UInt64?) async throws(APIError) {
        try await waitDurable(ticket, unavailable: APIError.storeUnavailable)
    }

    @concurrent
    public func write<T>(_ body: (StoreState) throws(APIError) -> (T, [StoreMutation])) async throws(APIError)
        -> T
    {
        try await write(body, unavailable: APIError.storeUnavailable)
    }

    /// `refresh(model:)` before a request acts on the model (several nodes): a shared backend
    /// that cannot be read answers the request the same way.
    func refreshForRequest(model: String) async throws(APIError) {
        do {
            try await refresh(model: model)
        } catch {
            throw APIError.storeUnavailable(error)
        }
    }

    /// `refreshChanged()` before a request lists models (several nodes), failing like `refreshForRequest`.
    func refreshChangedForRequest() async throws(APIError) {
        do {
            try await refreshChanged()
        } catch {
            throw APIError.storeUnavailable(error)
        }
    }
}

extension APIError {
    /// The answer to a change the store could not make durable.
    public static func storeUnavailable(_ failure: StoreUnavailable) -> APIError {
        var headers = HTTPHeaders()
        headers.add("Retry-After", String(failure.retryAfterSeconds))
        // RFC 4918 §11.5: 507 says the server lacks the space to store the change; retrying only
        // helps once an operator frees some, unlike the transient 503.
        if failure.isDiskFull {
            return APIError(
                status: 507, code: "insufficient_storage",
                description: "the change could not be stored: the server's disk is full", headers: headers)
        }
        return APIError(
            status: 503, code: "storage_unavailable",
            description: "the change could not be stored; try again",
            headers: headers)
    }
}
