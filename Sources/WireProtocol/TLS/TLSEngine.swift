import COpenSSL
import Glibc

/// TLS as a byte transformer (DESIGN §11): an OpenSSL `SSL` over two memory BIOs. The owner feeds
/// it the ciphertext read from the peer (`feed`) and sends whatever it produces (`takeOutput`);
/// the engine itself never touches a socket, so the epoll loop stays the only place doing I/O and
/// the engine is tested by pumping bytes between two engines in memory.
///
/// One type for both sides: a server engine from a server context, a client engine from a client
/// context plus the name to verify. Not thread-safe: `TLSConnection` guards it with a lock.
public final class TLSEngine {
    /// What a plaintext read found.
    public enum ReadResult: Equatable {
        /// This many plaintext bytes were copied to the start of the buffer.
        case bytes(Int)
        /// No complete record is buffered: feed more ciphertext (and send any output first).
        case needsInput
        /// The peer sent close_notify: the end of its data.
        case closed
    }

    let ssl: OpaquePointer
    /// Ciphertext from the peer goes in here (`feed`); OpenSSL reads it.
    private var inbound: OpaquePointer
    /// OpenSSL writes ciphertext for the peer here; `takeOutput` drains it.
    private var outbound: OpaquePointer
    public let isServer: Bool
    /// Ciphertext moved since the BIOs were last replaced (see `releaseIdleBuffers`).
    private var trafficSinceRelease = 0
    private var verifyName: String?

    /// A server-side engine for one accepted connection.
    public init(server context: TLSContext) throws(TLSError) {
        precondition(context.isServer, "a server engine needs a server context")
        (ssl, inbound, outbound) = try Self.make(context)
        isServer = true
        SSL_set_accept_state(ssl)
    }

    /// A client-side engine that will verify the server as `serverName` (a DNS name or an IP
    /// literal): SNI for names, and the certificate must match the name or address.
    public init(client context: TLSContext, serverName: String) throws(TLSError) {
        precondition(!context.isServer, "a client engine needs a client context")
        (ssl, inbound, outbound) = try Self.make(context)
        isServer = false
        verifyName = serverName
        if !Self.isIPLiteral(serverName) {
            _ = tmi_SSL_set_tlsext_host_name(ssl, serverName)
        }
        // OpenSSL 3 treats an IP literal here as an address to match against IP subjectAltNames.
        guard SSL_set1_host(ssl, serverName) == 1 else {
            SSL_free(ssl)
            throw .configuration("cannot verify the name '\(serverName)'")
        }
        SSL_set_connect_state(ssl)
    }

    deinit { SSL_free(ssl) }

    private static func make(_ context: TLSContext) throws(TLSError) -> (
        OpaquePointer, OpaquePointer, OpaquePointer
    ) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.pointer) else {
            throw .configuration(TLSError.drainErrorQueue(fallback: "SSL_new failed"))
        }
        guard let (inbound, outbound) = makeBIOs() else {
            SSL_free(ssl)
            throw .configuration("cannot allocate TLS buffers")
        }
        SSL_set_bio(ssl, inbound, outbound)
        return (ssl, inbound, outbound)
    }

    /// Two empty memory BIOs; reading an empty one means "retry later", not end of file.
    private static func makeBIOs() -> (OpaquePointer, OpaquePointer)? {
        guard let inbound = BIO_new(BIO_s_mem()) else { return nil }
        guard let outbound = BIO_new(BIO_s_mem()) else {
            BIO_free(inbound)
            return nil
        }
        _ = tmi_BIO_set_mem_eof_return(inbound, -1)
        _ = tmi_BIO_set_mem_eof_return(outbound, -1)
        return (inbound, outbound)
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    // MARK: Ciphertext in and out

    /// Hands the engine ciphertext received from the peer.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        trafficSinceRelease += bytes.count
        var offset = 0
        while offset < bytes.count {
            let chunk = Int32(clamping: bytes.count - offset)
            let written = BIO_write(inbound, base + offset, chunk)
            guard written > 0 else { return }  // allocation failure: the handshake/read then fails
            offset += Int(written)
        }
    }

    public func feed(_ bytes: [UInt8]) { bytes.withUnsafeBytes { feed($0) } }

    /// Whether ciphertext for the peer is waiting in `takeOutput`.
    public var hasOutput: Bool { tmi_BIO_pending(outbound) > 0 }

    /// Ciphertext bytes fed but not yet consumed (a partial record).
    public var bufferedInput: Int { Int(tmi_BIO_pending(inbound)) }

    /// Everything the engine has produced for the peer, in order; empty if nothing.
    public func takeOutput() -> [UInt8] {
        let pending = Int(tmi_BIO_pending(outbound))
        guard pending > 0 else { return [] }
        trafficSinceRelease += pending
        return [UInt8](unsafeUninitializedCapacity: pending) { buffer, count in
            let n = BIO_read(outbound, buffer.baseAddress, Int32(clamping: pending))
            count = max(0, Int(n))
        }
    }

    /// Memory BIOs keep their largest size; after bulk traffic, an idle connection would hold that
    /// much forever. When nothing is buffered and enough has moved, swap in fresh empty BIOs.
    public func releaseIdleBuffers(threshold: Int = 16 * 1024) {
        guard trafficSinceRelease >= threshold, tmi_BIO_pending(inbound) == 0,
            tmi_BIO_pending(outbound) == 0, let (newInbound, newOutbound) = Self.makeBIOs()
        else { return }
        SSL_set0_rbio(ssl, newInbound)  // frees the old BIO
        SSL_set0_wbio(ssl, newOutbound)
        inbound = newInbound
        outbound = newOutbound
        trafficSinceRelease = 0
    }

    // MARK: Handshake, data, close

    public var isHandshakeComplete: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Advances the handshake with the input fed so far. Returns true once it is complete; false
    /// when it needs more input. Send `takeOutput()` after each call either way.
    public func handshake() throws(TLSError) -> Bool {
        ERR_clear_error()
        let rc = SSL_do_handshake(ssl)
        if rc == 1 { return true }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return false
        default: throw handshakeError()
        }
    }

    private func handshakeError() -> TLSError {
        let verify = SSL_get_verify_result(ssl)
        if !isServer && verify != Int(X509_V_OK) {
            _ = TLSError.drainErrorQueue(fallback: "")
            var reason = String(cString: X509_verify_cert_error_string(verify))
            if let verifyName,
                verify == Int(X509_V_ERR_HOSTNAME_MISMATCH) || verify == Int(X509_V_ERR_IP_ADDRESS_MISMATCH)
            {
                reason += " (expected \(verifyName))"
            }
            return .verificationFailed(reason)
        }
        return .handshakeFailed(TLSError.drainErrorQueue(fallback: "the peer did not speak TLS"))
    }

    /// Decrypts into the start of `buffer`. Call again after `.bytes`: several records may be
    /// buffered.
    public func read(into buffer: inout [UInt8]) throws(TLSError) -> ReadResult {
        guard !buffer.isEmpty else { return .bytes(0) }
        ERR_clear_error()
        let rc = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
        if rc > 0 { return .bytes(Int(rc)) }
        switch SSL_get_error(ssl, rc) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: throw .protocolFailure(TLSError.drainErrorQueue(fallback: "unexpected end of TLS data"))
        }
    }

    /// Encrypts all of `plaintext` (in records of at most 16 KiB) into the output.
    public func write(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        guard let base = plaintext.baseAddress else { return }
        var offset = 0
        while offset < plaintext.count {
            ERR_clear_error()
            let rc = SSL_write(ssl, base + offset, Int32(clamping: min(plaintext.count - offset, 1 << 20)))
            guard rc > 0 else {
                throw .protocolFailure(TLSError.drainErrorQueue(fallback: "write after close"))
            }
            offset += Int(rc)
        }
    }

    public func write(_ plaintext: [UInt8]) throws(TLSError) {
        var failure: TLSError?
        plaintext.withUnsafeBytes { raw in
            do throws(TLSError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Queues close_notify (RFC 8446 §6.1) in the output; data can no longer be written.
    public func close() {
        ERR_clear_error()
        if isHandshakeComplete { _ = SSL_shutdown(ssl) }
        ERR_clear_error()
    }

    // MARK: What was negotiated

    /// The ALPN protocol chosen, e.g. "http/1.1"; nil if none.
    public var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// The certificate the peer presented (the server's, seen from a client).
    public var peerCertificate: TLSCertificateInfo? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        return TLSCertificateInfo(certificate: certificate)
    }
}
