import WireProtocol

extension Application {
    /// With `--metrics-address HOST:PORT`, serves `/metrics`, `/healthz` and `/readyz` on their
    /// own listener (and not on the main port), so they can stay on a private interface while the
    /// API is public. Nil without the setting.
    func startMetricsListener(_ observability: Observability) async throws(StartError)
        -> (server: HTTPServer, port: Int)?
    {
        guard let address = configuration.metricsAddress,
            let (host, port) = ServerConfiguration.hostAndPort(address)
        else { return nil }
        let gateway: Gateway
        do {
            gateway = try Gateway(
                routes: OperabilityRoutes(observability: observability).routes,
                authenticator: RejectingAuthenticator(), middleware: [ErrorMiddleware(logger: logger)])
        } catch {
            throw StartError(message: "cannot assemble the metrics listener: \(error)")
        }
        var http = HTTPServer.Configuration(
            host: host, port: port, headTimeout: .seconds(configuration.headTimeout),
            idleTimeout: .seconds(configuration.idleTimeout))
        http.limits.defaultBodyLimit = 4096
        let server = HTTPServer(configuration: http, responder: gateway)
        do {
            let bound = try await server.start()
            logger.info("metrics listening", [("address", .string("\(host):\(bound)"))])
            return (server, bound)
        } catch {
            throw StartError(
                message: "cannot listen on \(address) (--metrics-address): \(Self.describe(error))")
        }
    }
}
