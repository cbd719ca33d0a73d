import Testing

@testable import WireProtocol

@Suite struct PostgresConfigurationTests {
    @Test func fullURL() throws {
        let c = try PostgresConfiguration(
            url: "postgres://tmi:s3cr%40t%3A%2F@db.example:6543/tmi_prod?sslmode=require")
        #expect(c.user == "tmi")
        #expect(c.password == "s3cr@t:/")
        #expect(c.host == "db.example")
        #expect(c.port == 6543)
        #expect(c.database == "tmi_prod")
        #expect(c.tlsMode == .require)
    }

    @Test func defaultsAndVariants() throws {
        let c = try PostgresConfiguration(url: "postgresql://alice@localhost")
        #expect(c.port == 5432 && c.database == "alice" && c.password == nil && c.tlsMode == .disable)
        let v6 = try PostgresConfiguration(
            url: "postgres://u:p@[::1]:5433/d?sslmode=verify-full&application_name=x")
        #expect(v6.host == "::1" && v6.port == 5433 && v6.tlsMode == .verifyFull && v6.applicationName == "x")
        let at = try PostgresConfiguration(url: "postgres://u:p@ss@h/d")
        #expect(at.password == "p@ss" && at.host == "h")
        let timeout = try PostgresConfiguration(url: "postgres://u@h/d?connect_timeout=3")
        #expect(timeout.connectTimeout == .seconds(3))
        let root = try PostgresConfiguration(
            url: "postgres://u@h/d?sslmode=verify-full&sslrootcert=/etc/ca%20x.pem")
        #expect(root.tlsRootCertificateFile == "/etc/ca x.pem" && root.tlsMode == .verifyFull)
        let unicode = try PostgresConfiguration(url: "postgres://%C3%A9l%C3%A8ve:pw@h/base%20%C3%A9")
        #expect(unicode.user == "élève" && unicode.database == "base é")
    }

    @Test(arguments: [
        "mysql://u:hunter2@h/d", "postgres://:hunter2@h/d", "postgres://u:hunter2@h:0/d",
        "postgres://u:hunter2@h:99999/d", "postgres://u:hunter2@h:abc/d",
        "postgres://u:hunter2@h/d?sslmode=prefer",
        "postgres://u:hunter2@h/d?bogus=1", "postgres://u:hunter2%zz@h/d", "postgres://u:hunter2@[::1/d",
        "postgres://u%00x:hunter2@h/d", "postgres://u:hunter2@h/d?connect_timeout=0",
    ])
    func badURLsAreRefusedWithoutThePassword(_ url: String) {
        do {
            _ = try PostgresConfiguration(url: url)
            Issue.record("accepted \(url)")
        } catch {
            guard case .invalidConfiguration = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func descriptionHidesThePassword() throws {
        let c = try PostgresConfiguration(url: "postgres://u:hunter2@h/d")
        #expect(c.description == "postgres://u:***@h:5432/d?sslmode=disable")
        #expect(!"\(c)".contains("hunter2"))
    }
}
