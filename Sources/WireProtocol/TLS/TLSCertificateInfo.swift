import COpenSSL

/// What a log line or a test needs to tell certificates apart: subject and serial number.
public struct TLSCertificateInfo: Sendable, Equatable, CustomStringConvertible {
    /// The subject in OpenSSL's one-line form, e.g. "/CN=localhost".
    public var subject: String
    /// The serial number in uppercase hex without leading zeros, e.g. "1001".
    public var serialHex: String

    public init(subject: String, serialHex: String) {
        self.subject = subject
        self.serialHex = serialHex
    }

    /// Reads subject and serial of an `X509*` (not consumed).
    init(certificate: OpaquePointer) {
        var subject = ""
        if let name = X509_get_subject_name(certificate), let line = X509_NAME_oneline(name, nil, 0) {
            subject = String(cString: line)
            CRYPTO_free(line, #file, #line)
        }
        var serial = ""
        if let integer = X509_get_serialNumber(certificate), let number = ASN1_INTEGER_to_BN(integer, nil) {
            if let hex = BN_bn2hex(number) {
                serial = String(cString: hex)
                CRYPTO_free(hex, #file, #line)
            }
            BN_free(number)
        }
        while serial.count > 1 && serial.hasPrefix("0") { serial.removeFirst() }
        self.init(subject: subject, serialHex: serial)
    }

    public var description: String { "\(subject) serial \(serialHex)" }
}
