import WireProtocol

/// TLS for `tmi-server --tls-cert FILE --tls-key FILE` (docs/tls.md): loading at start, the
/// handshake-failure log, and the SIGHUP reload.
extension Application {
    /// The certificate and key from the configuration; nil without TLS. A file that cannot be
    /// used stops the start with a message naming it.
    func loadTLSIdentity() throws(StartError) -> TLSServerIdentity? {
        guard let certificate = configuration.tlsCertificateFile, let key = configuration.tlsKeyFile else {
            return nil
        }
        do {
            return try TLSServerIdentity(certificateChainFile: certificate, privateKeyFile: key)
        } catch {
            throw StartError(message: error.description)
        }
    }

    /// Failed handshakes are routine on a public port (scanners, plain HTTP): logged at debug.
    var tlsHandshakeFailureLogger: @Sendable (String, TLSError) -> Void {
        let logger = logger
        return { peer, error in
            logger.debug(
                "tls_handshake_failed", [("peer", .string(peer)), ("reason", .string(error.description))])
        }
    }
}

extension RunningServer {
    /// Reloads the certificate and key on SIGHUP while the returned trap lives, logging the new
    /// certificate, or why the old one stays (a bad file never replaces a good certificate).
    /// Nil when the server does not serve TLS.
    public func reloadTLSOnHangup(logger: Logger) -> HangupTrap? {
        server.reloadTLSOnHangup { outcome in
            switch outcome {
            case .success(let certificate):
                logger.info(
                    "tls_certificate_reloaded",
                    [
                        ("subject", .string(certificate?.subject ?? "")),
                        ("serial", .string(certificate?.serialHex ?? "")),
                    ])
            case .failure(let error):
                logger.error("tls_certificate_reload_failed", [("reason", .string(error.description))])
            }
        }
    }
}
