import TestSupport
import Testing

/// The shared test PKI produces what its documentation promises, checked with `openssl verify`.
@Suite struct TLSTestPKITests {
    @Test func certificatesVerifyAsDocumented() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        func verify(_ ca: String, _ chain: String, host: String? = nil, ip: String? = nil) async throws
            -> String
        {
            var arguments = ["openssl", "verify", "-CAfile", ca]
            if let host { arguments += ["-verify_hostname", host] }
            if let ip { arguments += ["-verify_ip", ip] }
            let result = try await TestPKI.runDetached(arguments + [chain])
            return result.outputText + result.errorText
        }
        #expect(
            try await verify(pki.caCertificateFile, pki.server.certificateFile, ip: "127.0.0.1").contains(
                ": OK"))
        #expect(
            try await verify(pki.caCertificateFile, pki.server.certificateFile, host: "localhost").contains(
                ": OK"))
        #expect(
            try await verify(pki.otherCACertificateFile, pki.server.certificateFile).contains(
                "unable to get local issuer certificate"))
        #expect(
            try await verify(pki.caCertificateFile, pki.expired.certificateFile).contains(
                "certificate has expired")
        )
        #expect(
            try await verify(pki.caCertificateFile, pki.wrongHost.certificateFile, ip: "127.0.0.1").contains(
                "IP address mismatch"))
        let second = try pki.issue(name: "second", serial: 0x2001)
        #expect(second.serialHex == "2001")
        let serial = try await TestPKI.runDetached([
            "openssl", "x509", "-noout", "-serial", "-in", second.certificateFile,
        ])
        #expect(serial.outputText.contains("serial=2001"))
        let directory = pki.directory
        pki.remove()
        #expect(try await TestPKI.runDetached(["test", "-e", directory]).status != 0)
    }
}
