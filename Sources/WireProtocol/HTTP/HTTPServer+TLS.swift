import Dispatch
import Glibc
import Synchronization

extension HTTPServer {
    /// The stream an accepted connection is served over: the TCP connection itself, or with TLS
    /// configured, the TLS connection after a handshake bounded by `tlsHandshakeTimeout`. A client
    /// that fails the handshake (plain HTTP, garbage, an old protocol version, silence) is closed
    /// and counted; the server goes on serving everyone else.
    func secure(_ connection: TCPConnection) async -> (any DeadlineByteStream)? {
        guard let identity = configuration.tls else { return connection }
        do {
            return try await TLSConnection.accept(
                connection, context: identity.current,
                deadline: .after(configuration.tlsHandshakeTimeout))
        } catch {
            tlsHandshakeFailures.add(1, ordering: .relaxed)
            configuration.onTLSHandshakeFailure?(connection.peerDescription, error)
            return nil
        }
    }

    /// Reloads the TLS certificate and key on every SIGHUP while the returned trap is alive;
    /// `report` learns each outcome (the new certificate, or why the old one stays). Nil when
    /// the server has no TLS.
    public func reloadTLSOnHangup(
        report: @escaping @Sendable (Result<TLSCertificateInfo?, TLSError>) -> Void
    ) -> HangupTrap? {
        guard let identity = configuration.tls else { return nil }
        return HangupTrap.install {
            do throws(TLSError) {
                report(.success(try identity.reload()))
            } catch {
                report(.failure(error))
            }
        }
    }
}

/// Runs an action on every SIGHUP (the conventional "reload your configuration" signal) while
/// alive; dropping it restores the default action.
public final class HangupTrap: @unchecked Sendable {
    // Safe: `source` is written once in init and only read in deinit.
    private let source: any DispatchSourceSignal

    private init(source: any DispatchSourceSignal) { self.source = source }

    deinit {
        source.cancel()
        signal(SIGHUP, SIG_DFL)
    }

    /// Installs the handler and returns once it is armed (as `SignalTrap` does, so a SIGHUP sent
    /// right after start is not lost). The action runs on a Dispatch queue, not in a signal context.
    public static func install(_ action: @escaping @Sendable () -> Void) -> HangupTrap {
        signal(SIGHUP, SIG_IGN)
        let registered = DispatchSemaphore(value: 0)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler(handler: action)
        source.setRegistrationHandler { registered.signal() }
        source.resume()
        registered.wait()
        return HangupTrap(source: source)
    }
}

extension HTTPServer {
    /// TLS handshakes that failed since start (garbage, plain HTTP, timeouts, old versions).
    public var tlsHandshakeFailureCount: Int { tlsHandshakeFailures.load(ordering: .relaxed) }
}
