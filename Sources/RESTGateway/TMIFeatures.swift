import Foundation
import Identity
import SessionActors
import Storage
import Synchronization
import WireProtocol

/// The product: every feature assembled over one data directory. The executable and the
/// end-to-end tests both start the server through this, so they run the same thing.
public enum TMIFeatures {
    /// What identity contributes: its routes and the authenticator for every other route.
    public typealias Identity =
        @Sendable (ServerEnvironment) async throws -> (
            routes: [any RouteProvider], authenticator: any Authenticator
        )

    /// The identity service of the configuration (keys, users and tokens in the data directory),
    /// as `tmi-server` runs it.
    public static let builtInIdentity: Identity = { environment in
        var configuration = IdentityConfiguration(
            server: environment.configuration, baseURL: environment.baseURL)
        // External providers: the --idp-config file, then TMI_OIDC_PROVIDERS + TMI_OIDC_<ID>_*.
        configuration.oidcProviders = try loadProviders(environment.configuration)
        let transport = HTTPClientOIDCTransport(caFile: environment.configuration.idpCAFile)
        do throws(OIDCTransportError) {
            try transport.validate()
        } catch {
            throw ConfigurationError(error.description)
        }
        configuration.transport = transport
        let logger = environment.logger
        configuration.warn = { message in logger.warning("identity provider", [("reason", .string(message))])
        }
        let service = try await IdentityService.open(configuration)
        return (routes: [IdentityRoutes(service: service)], authenticator: service)
    }

    /// The providers of `--idp-config` and of `TMI_OIDC_*`, one list; an unreadable or invalid
    /// file, or an id configured twice, stops the start naming the provider and the field.
    static func loadProviders(_ server: ServerConfiguration) throws(ConfigurationError)
        -> [OIDCProviderConfiguration]
    {
        let environment = ProcessInfo.processInfo.environment
        do throws(IdentityConfigurationError) {
            var providers: [OIDCProviderConfiguration] = []
            if let path = server.idpConfigFile {
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw IdentityConfigurationError("--idp-config: cannot read '\(path)'")
                }
                providers = try OIDCProviderConfiguration.fromFile(Array(bytes), environment: environment)
            }
            for provider in try OIDCProviderConfiguration.fromEnvironment(environment) {
                guard !providers.contains(where: { $0.id == provider.id }) else {
                    throw IdentityConfigurationError(
                        "identity provider '\(provider.id)': field 'id' is configured in both --idp-config and TMI_OIDC_PROVIDERS"
                    )
                }
                providers.append(provider)
            }
            return providers
        } catch {
            throw ConfigurationError(error.message)
        }
    }

    /// An `Application` serving the whole API from `configuration.dataDirectory`.
    public static func application(
        configuration: ServerConfiguration, logger: Logger, identity: @escaping Identity = builtInIdentity
    ) -> Application {
        Application(configuration: configuration, logger: logger) { environment in
            try await assemble(environment, identity: identity)
        }
    }

    /// Opens the store, creates the session directory and wires REST, collaboration, identity
    /// and (when configured) the conformance echo endpoint.
    public static func assemble(_ environment: ServerEnvironment, identity: Identity) async throws
        -> ServerComponents
    {
        let configuration = environment.configuration
        let store = try await configuration.openStore(logger: environment.logger)
        let directory = SessionDirectory()
        // Several nodes (--redis-url): sessions placed cluster-wide, REST over the shared store.
        let cluster = try await startCluster(
            configuration, boundPort: environment.boundPort, store: store, sessions: directory,
            logger: environment.logger)
        let collaboration = CollaborationRoutes(
            store: store, directory: directory, baseURL: environment.baseURL, cluster: cluster?.coordinator)
        let (identityRoutes, authenticator) = try await identity(environment)
        var providers: [any RouteProvider] = identityRoutes
        let rest = ThreatModelAPI.providers(
            store: store, onModelDeleted: { await directory.endAll(threatModelID: $0) },
            live: collaboration.liveDiagramHooks)
        if let cluster {
            providers.append(SharedStoreRoutes(inner: rest, store: store, cluster: cluster.coordinator))
        } else {
            providers += rest
        }
        providers.append(collaboration)
        providers.append(ConsoleRoutes(collaboration: collaboration))
        if configuration.conformanceEcho { providers.append(ConformanceEcho()) }
        let housekeeping = Task {
            // Session expiry (DESIGN §6): idle or abandoned sessions end; checked every 10 s.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                await directory.expire(now: WallClock.now())
            }
        }
        let stopped = Mutex(false)
        var components = ServerComponents(
            routeProviders: providers, authenticator: authenticator,
            onShutdown: {
                guard
                    stopped.withLock({ s in
                        defer { s = true }; return !s
                    })
                else { return }
                housekeeping.cancel()
                for s in await directory.list() {
                    await directory.end(diagramID: s.diagramID, reason: .expired)
                }
                await cluster?.stop()
                await store.close()
                environment.logger.info("store closed")
            })
        components.metricsSources = [
            { await SessionMetricsText.render(directory) }, { StorageMetricsText.render() },
        ]
        // Names the backend that failed, so an operator looks at the right thing.
        let unready =
            configuration.databaseURL == nil
            ? "the store is closed or its journal failed; writes are refused"
            : "the store is closed or PostgreSQL is unreachable; writes are refused until it reconnects"
        components.readiness = {
            if let cluster, !cluster.coordinator.directory.isReady {
                return "the cluster directory (Redis) is unreachable; new sessions are refused"
            }
            return store.acceptsWrites ? nil : unready
        }
        return components
    }
}

/// `GET /echo`: the WebSocket echo endpoint used only by conformance runs (`--conformance-echo`).
struct ConformanceEcho: RouteProvider {
    var routes: [Route] {
        [
            Route("GET", "/echo", access: .open) { ctx in
                WebSocketEcho.respond(to: ctx.request)
            }
        ]
    }
}
