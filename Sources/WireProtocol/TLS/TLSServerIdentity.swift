import Synchronization

/// The server's certificate and key, reloadable: new handshakes use the context loaded last,
/// while connections already open keep the one they started with (each engine holds its own
/// reference), so a reload never drops anyone.
public final class TLSServerIdentity: Sendable {
    public let certificateChainFile: String
    public let privateKeyFile: String
    private let context: Mutex<TLSContext>

    /// Loads the files now; fails with `.configuration` naming the file that is wrong.
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.context = Mutex(
            try TLSContext.server(certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile))
    }

    /// The context new connections are accepted with.
    public var current: TLSContext { context.withLock { $0 } }

    /// The certificate currently served.
    public var certificate: TLSCertificateInfo? { current.certificate }

    /// Reads both files again. On success new handshakes use them and the new certificate is
    /// returned; on failure nothing changes (the old certificate stays) and the reason is thrown.
    @discardableResult
    public func reload() throws(TLSError) -> TLSCertificateInfo? {
        let fresh = try TLSContext.server(
            certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile)
        context.withLock { $0 = fresh }
        return fresh.certificate
    }
}
