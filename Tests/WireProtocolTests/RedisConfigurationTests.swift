import Testing

@testable import WireProtocol

@Suite("Redis URL")
struct RedisConfigurationTests {
    @Test func aFullURLParses() throws {
        let c = try RedisConfiguration(url: "redis://tmi:p%40ss@cache.internal:6380/3")
        #expect(c.host == "cache.internal")
        #expect(c.port == 6380)
        #expect(c.user == "tmi")
        #expect(c.password == "p@ss")
        #expect(c.database == 3)
        #expect(c.description == "redis://tmi:***@cache.internal:6380/3")
    }

    @Test func defaultsAndPasswordOnly() throws {
        let plain = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(plain.port == 6379 && plain.database == 0 && plain.password == nil && plain.user == nil)
        let passwordOnly = try RedisConfiguration(url: "redis://:s3cret@[::1]:7000/")
        #expect(passwordOnly.host == "::1" && passwordOnly.port == 7000)
        #expect(passwordOnly.user == nil && passwordOnly.password == "s3cret")
        #expect(passwordOnly.description == "redis://:***@[::1]:7000/0")
    }

    @Test(arguments: [
        "http://127.0.0.1", "rediss://:s3cret@host", "redis://", "redis://:s3cret@host:0",
        "redis://:s3cret@host:99999", "redis://:s3cret@host/abc", "redis://:s3cret@host/1?timeout=3",
        "redis://s3cret@host", "redis://:s3cret%zz@host", "redis://:s3cret@[::1", "redis://:s3cret@ho st",
    ])
    func badURLsAreRefusedWithoutThePassword(_ url: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("accepted \(url)")
        } catch {
            guard case .invalidConfiguration(let message) = error else {
                Issue.record("expected invalidConfiguration, got \(error)")
                return
            }
            #expect(message.hasPrefix("Redis URL: "))
            #expect(!error.description.contains("s3cret"))
        }
    }
}
