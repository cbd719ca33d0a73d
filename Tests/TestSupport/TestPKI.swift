import Dispatch
import Foundation
import Synchronization

/// A throwaway public-key infrastructure for TLS tests, generated with the `openssl` CLI into a
/// fresh temporary directory that is removed by `remove()` (or when the value is released).
///
/// Everything is ECDSA P-256 (fast to generate) and PEM. What it holds, and why a test wants it:
/// - `caCertificateFile`: the test CA. Trust it (`--cacert`, an extra CA file) to accept `server`.
/// - `server`: a certificate for `127.0.0.1` and `localhost` (both as subjectAltNames) signed by the
///   CA; its certificate file is the full chain (leaf then CA), as an operator would configure it.
/// - `otherCACertificateFile`: an unrelated CA. Trusting only it must make `server` fail (OpenSSL
///   says "self-signed certificate in certificate chain", since the chain carries the test CA).
/// - `expired`: signed by the CA for 127.0.0.1/localhost, but its validity ended yesterday.
/// - `wrongHost`: signed by the CA, valid, but only for `wrong.example`: connecting to 127.0.0.1 or
///   localhost must fail the hostname check.
/// - `issue(...)`: further leaves from the CA (a second server certificate for a reload test, a
///   certificate for another name).
///
/// ```swift
/// let pki = try TestPKI.make()
/// defer { pki.remove() }
/// // serve with pki.server.certificateFile / pki.server.keyFile, trust pki.caCertificateFile
/// ```
///
/// Needs the `openssl` command on `PATH` (Debian package `openssl`; `.ci/run` installs it).
public final class TestPKI: Sendable {
    /// A certificate (chain) file and its private key file.
    public struct Identity: Sendable, Equatable {
        /// PEM: the leaf first, then the issuing CA (a full chain).
        public let certificateFile: String
        /// PEM PKCS#8 private key of the leaf.
        public let keyFile: String
        /// The leaf's serial number as uppercase hex without leading zeros, as `openssl x509
        /// -serial` prints it (e.g. "1001"): lets a test tell two certificates apart.
        public let serialHex: String
        /// The leaf's subject common name.
        public let commonName: String
    }

    /// Why generating the PKI failed (no `openssl` binary, or it refused a command).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The temporary directory holding every file; removed by `remove()`.
    public let directory: String
    public let caCertificateFile: String
    let caKeyFile: String
    public let otherCACertificateFile: String
    public let server: Identity
    public let expired: Identity
    public let wrongHost: Identity

    private init(
        directory: String, caCertificateFile: String, caKeyFile: String, otherCACertificateFile: String,
        server: Identity, expired: Identity, wrongHost: Identity
    ) {
        self.directory = directory
        self.caCertificateFile = caCertificateFile
        self.caKeyFile = caKeyFile
        self.otherCACertificateFile = otherCACertificateFile
        self.server = server
        self.expired = expired
        self.wrongHost = wrongHost
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// `make()` on a thread of its own: use this from async tests. `make()` blocks its thread for
    /// the few openssl runs (seconds on a loaded machine), and several tests doing that at once on
    /// the cooperative pool (one thread per core) starve every server in the test process.
    public static func generate() async throws(Failure) -> TestPKI {
        let result: Result<TestPKI, Failure> = await withCheckedContinuation { continuation in
            Thread {
                do throws(Failure) {
                    continuation.resume(returning: .success(try make()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }.start()
        }
        return try result.get()
    }

    /// Generates the CA, the unrelated CA and the three leaves, blocking the calling thread
    /// (about 0.1 s on an idle machine). From async code prefer `generate()`.
    public static func make() throws(Failure) -> TestPKI {
        let directory = NSTemporaryDirectory() + "tmi-pki-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(directory): \(error)")
        }
        do {
            let ca = try makeCA(in: directory, name: "ca", commonName: "TMI Test CA")
            let other = try makeCA(in: directory, name: "other-ca", commonName: "Unrelated Test CA")
            let server = try issueLeaf(
                in: directory, caCertificate: ca.certificate, caKey: ca.key, name: "server",
                commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], days: 2,
                serial: 0x1001)
            let expired = try issueLeaf(
                in: directory, caCertificate: ca.certificate, caKey: ca.key, name: "expired",
                commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], days: -1,
                serial: 0x1002)
            let wrongHost = try issueLeaf(
                in: directory, caCertificate: ca.certificate, caKey: ca.key, name: "wrong-host",
                commonName: "wrong.example", dnsNames: ["wrong.example"], ipAddresses: [], days: 2,
                serial: 0x1003)
            return TestPKI(
                directory: directory, caCertificateFile: ca.certificate, caKeyFile: ca.key,
                otherCACertificateFile: other.certificate, server: server, expired: expired,
                wrongHost: wrongHost)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
    }

    /// Issues another leaf from the test CA into the directory, named `name` (files
    /// `NAME.pem`/`NAME.key`). `serial` must differ from 0x1001–0x1003 to be distinguishable.
    public func issue(
        name: String, commonName: String = "localhost", dnsNames: [String] = ["localhost"],
        ipAddresses: [String] = ["127.0.0.1"], days: Int = 2, serial: UInt64
    ) throws(Failure) -> Identity {
        try Self.issueLeaf(
            in: directory, caCertificate: caCertificateFile, caKey: caKeyFile, name: name,
            commonName: commonName, dnsNames: dnsNames, ipAddresses: ipAddresses, days: days, serial: serial)
    }

    /// Deletes the directory and every file in it.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }

    private static func makeCA(in directory: String, name: String, commonName: String) throws(Failure) -> (
        certificate: String, key: String
    ) {
        let certificate = "\(directory)/\(name).pem"
        let key = "\(directory)/\(name).key"
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(commonName)",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        return (certificate, key)
    }

    private static func issueLeaf(
        in directory: String, caCertificate: String, caKey: String, name: String, commonName: String,
        dnsNames: [String], ipAddresses: [String], days: Int, serial: UInt64
    ) throws(Failure) -> Identity {
        let key = "\(directory)/\(name).key"
        let request = "\(directory)/\(name).csr"
        let leaf = "\(directory)/\(name).leaf.pem"
        let chain = "\(directory)/\(name).pem"
        let extensions = "\(directory)/\(name).ext"
        let alternativeNames = (dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" })
            .joined(separator: ",")
        var extensionText = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        extensionText += "extendedKeyUsage=serverAuth,clientAuth\n"
        if !alternativeNames.isEmpty { extensionText += "subjectAltName=\(alternativeNames)\n" }
        try write(extensionText, to: extensions)
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", request, "-subj", "/CN=\(commonName)",
        ])
        // A negative -days gives a certificate whose validity ended before now: the expired case.
        try openssl([
            "x509", "-req", "-in", request, "-CA", caCertificate, "-CAkey", caKey,
            "-set_serial", "0x" + String(serial, radix: 16), "-days", String(days), "-extfile", extensions,
            "-out", leaf,
        ])
        do {
            let chainText =
                try String(contentsOfFile: leaf, encoding: .utf8)
                + String(contentsOfFile: caCertificate, encoding: .utf8)
            try write(chainText, to: chain)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "cannot read \(leaf): \(error)")
        }
        return Identity(
            certificateFile: chain, keyFile: key, serialHex: String(serial, radix: 16).uppercased(),
            commonName: commonName)
    }

    private static func write(_ text: String, to path: String) throws(Failure) {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw Failure(description: "cannot write \(path): \(error)")
        }
    }

    /// Runs `openssl ARGS` and fails with its stderr when it exits non-zero.
    static func openssl(_ arguments: [String]) throws(Failure) {
        let result = try run(["openssl"] + arguments)
        guard result.status == 0 else {
            throw Failure(
                description:
                    "openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.errorText)")
        }
    }

    /// Runs a command found on `PATH`, returning its exit status, stdout and stderr.
    public static func run(_ command: [String], input: [UInt8] = []) throws(Failure) -> (
        status: Int32, outputText: String, errorText: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let output = Pipe()
        let errors = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run \(command.first ?? ""): \(error)")
        }
        if !input.isEmpty { stdin.fileHandleForWriting.write(Data(input)) }
        try? stdin.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a chatty child never blocks on a full pipe.
        let errorData = Mutex<Data>(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        let reader = Thread {
            errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
            errorsRead.signal()
        }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outputData, as: UTF8.self),
            String(decoding: errorData.withLock { $0 }, as: UTF8.self)
        )
    }
}

extension TestPKI {
    /// `run` on a thread of its own, so an async test can wait for a command (curl, openssl
    /// s_client) that talks to a server running in the same process without tying up one of the
    /// few cooperative-pool threads the server needs.
    public static func runDetached(_ command: [String], input: [UInt8] = []) async throws(Failure) -> (
        status: Int32, outputText: String, errorText: String
    ) {
        let result: Result<(status: Int32, outputText: String, errorText: String), Failure> =
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    do throws(Failure) {
                        continuation.resume(returning: .success(try run(command, input: input)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
                thread.start()
            }
        return try result.get()
    }
}
