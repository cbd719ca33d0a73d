import COpenSSL
import Glibc

/// An OpenSSL `SSL_CTX`: the settings and credentials shared by many connections. Built once
/// (at start, or on a certificate reload) and never changed afterwards; each `TLSEngine` takes its
/// own reference, so a context replaced by a reload lives on until its last connection ends.
///
/// Both sides get TLS 1.2 as the minimum (1.3 preferred), no renegotiation, no compression, ALPN
/// `http/1.1`, and `SSL_MODE_RELEASE_BUFFERS` so an idle connection does not keep OpenSSL's record
/// buffers (about 34 KB) allocated.
public final class TLSContext: @unchecked Sendable {
    // Safe: the SSL_CTX is fully configured in init and only read afterwards; OpenSSL locks its
    // reference count and session cache internally, so SSL_new may run on several threads.
    let pointer: OpaquePointer
    /// Server: the leaf certificate served. Client: nil.
    public let certificate: TLSCertificateInfo?
    public let isServer: Bool

    private init(pointer: OpaquePointer, certificate: TLSCertificateInfo?, isServer: Bool) {
        self.pointer = pointer
        self.certificate = certificate
        self.isServer = isServer
    }

    deinit { SSL_CTX_free(pointer) }

    /// A server context from a PEM certificate chain (leaf first, then intermediates) and its PEM
    /// private key. An unreadable file, a file that is not PEM, or a key that does not belong to
    /// the certificate fails with `.configuration` naming the file.
    public static func server(certificateChainFile: String, privateKeyFile: String) throws(TLSError)
        -> TLSContext
    {
        try requireReadable(certificateChainFile, what: "certificate")
        try requireReadable(privateKeyFile, what: "private key")
        let ctx = try makeContext(TLS_server_method())
        ERR_clear_error()
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateChainFile) == 1 else {
            SSL_CTX_free(ctx)
            throw .configuration(
                "cannot load certificate \(certificateChainFile): "
                    + TLSError.drainErrorQueue(fallback: "not a PEM certificate chain"))
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            SSL_CTX_free(ctx)
            let reason = TLSError.drainErrorQueue(fallback: "not a PEM private key")
            if reason.contains("key values mismatch") {
                throw .configuration(
                    "private key \(privateKeyFile) does not match certificate \(certificateChainFile)")
            }
            throw .configuration("cannot load private key \(privateKeyFile): \(reason)")
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            SSL_CTX_free(ctx)
            _ = TLSError.drainErrorQueue(fallback: "")
            throw .configuration(
                "private key \(privateKeyFile) does not match certificate \(certificateChainFile)")
        }
        SSL_CTX_set_alpn_select_cb(ctx, selectHTTP11, nil)
        // Resumption uses stateless tickets only: a server-side session cache would keep up to
        // 20,480 sessions in memory, unbounded by our own limits.
        _ = tmi_SSL_CTX_set_session_cache_mode(ctx, Int(SSL_SESS_CACHE_OFF))
        let info = SSL_CTX_get0_certificate(ctx).map { TLSCertificateInfo(certificate: $0) }
        return TLSContext(pointer: ctx, certificate: info, isServer: true)
    }

    /// A client context that verifies servers against `configuration`'s trust roots. Each
    /// connection made with it also checks the host name (see `TLSEngine.init(client:serverName:)`).
    public static func client(_ configuration: TLSClientConfiguration = TLSClientConfiguration())
        throws(TLSError)
        -> TLSContext
    {
        let ctx = try makeContext(TLS_client_method())
        SSL_CTX_set_verify(ctx, configuration.verifiesPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        ERR_clear_error()
        if configuration.trustsSystemRoots {
            let bundle = TLSClientConfiguration.systemBundle
            let bundlePath: String? = access(bundle, R_OK) == 0 ? bundle : nil
            let directory: String? =
                access(TLSClientConfiguration.systemDirectory, R_OK) == 0
                ? TLSClientConfiguration.systemDirectory : nil
            if bundlePath != nil || directory != nil {
                // A missing or partly unreadable system store is not fatal: the extra CA may suffice.
                _ = SSL_CTX_load_verify_locations(ctx, bundlePath, directory)
                ERR_clear_error()
            }
        }
        if let file = configuration.additionalCAFile {
            do throws(TLSError) {
                try requireReadable(file, what: "CA file")
            } catch {
                SSL_CTX_free(ctx)
                throw error
            }
            guard SSL_CTX_load_verify_locations(ctx, file, nil) == 1 else {
                SSL_CTX_free(ctx)
                throw .configuration(
                    "cannot load CA file \(file): "
                        + TLSError.drainErrorQueue(fallback: "no PEM certificates"))
            }
        }
        // ALPN wire format: each name prefixed by its length.
        var protocols: [UInt8] = []
        for name in configuration.applicationProtocols where (1...255).contains(name.utf8.count) {
            protocols += [UInt8(name.utf8.count)] + Array(name.utf8)
        }
        if !protocols.isEmpty { _ = SSL_CTX_set_alpn_protos(ctx, protocols, UInt32(protocols.count)) }
        return TLSContext(pointer: ctx, certificate: nil, isServer: false)
    }

    private static func makeContext(_ method: OpaquePointer?) throws(TLSError) -> OpaquePointer {
        guard let ctx = SSL_CTX_new(method) else {
            throw .configuration(TLSError.drainErrorQueue(fallback: "SSL_CTX_new failed"))
        }
        _ = tmi_SSL_CTX_set_min_proto_version(ctx, tmi_TLS1_2_VERSION())
        _ = SSL_CTX_set_options(ctx, tmi_SSL_OP_NO_RENEGOTIATION() | tmi_SSL_OP_NO_COMPRESSION())
        _ = tmi_SSL_CTX_set_mode(ctx, tmi_SSL_MODE_RELEASE_BUFFERS())
        return ctx
    }

    private static func requireReadable(_ path: String, what: String) throws(TLSError) {
        let file = fopen(path, "r")
        guard let file else {
            throw .configuration("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
        }
        fclose(file)
    }
}

/// ALPN (RFC 7301) on the server: choose `http/1.1` when offered. A client that offers only other
/// protocols (e.g. just `h2`) cannot talk to us, so it gets the fatal `no_application_protocol`
/// alert the RFC asks for; a client that offers no ALPN at all proceeds without it.
private let selectHTTP11:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outLength, offered, offeredLength, _ in
        guard let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
        let wanted = Array("http/1.1".utf8)
        var index = 0
        let count = Int(offeredLength)
        while index < count {
            let length = Int(offered[index])
            let start = index + 1
            guard start + length <= count else { break }
            if length == wanted.count && (0..<length).allSatisfy({ offered[start + $0] == wanted[$0] }) {
                out.pointee = offered + start
                outLength.pointee = UInt8(length)
                return SSL_TLSEXT_ERR_OK
            }
            index = start + length
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
