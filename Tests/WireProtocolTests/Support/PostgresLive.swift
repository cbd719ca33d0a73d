import Foundation
import Testing

@testable import WireProtocol

/// The test cluster started by `scripts/pg-test-cluster` (CI exports its URLs). A test that
/// needs it fails when `CI` is set and the URL is missing; locally it skips with a reason.
enum PostgresLive {
    static func url(
        _ variable: String = "TMI_TEST_DATABASE_URL", sourceLocation: SourceLocation = #_sourceLocation
    )
        -> String?
    {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment[variable], !url.isEmpty { return url }
        if environment["CI"] != nil {
            Issue.record(
                "\(variable) is not set: start scripts/pg-test-cluster (CI must)",
                sourceLocation: sourceLocation)
        } else {
            print(
                "skipping PostgreSQL test: \(variable) is not set (eval \"$(scripts/pg-test-cluster start)\")"
            )
        }
        return nil
    }

    static func configuration(
        _ variable: String = "TMI_TEST_DATABASE_URL", sourceLocation: SourceLocation = #_sourceLocation
    ) -> PostgresConfiguration? {
        guard let url = url(variable, sourceLocation: sourceLocation) else { return nil }
        do {
            return try PostgresConfiguration(url: url)
        } catch {
            Issue.record("\(variable) does not parse: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// A client for the test database; `adjust` changes pool settings.
    static func client(
        _ variable: String = "TMI_TEST_DATABASE_URL", sourceLocation: SourceLocation = #_sourceLocation,
        adjust: (inout PostgresConfiguration) -> Void = { _ in }
    ) -> PostgresClient? {
        guard var configuration = configuration(variable, sourceLocation: sourceLocation) else { return nil }
        adjust(&configuration)
        return PostgresClient(configuration: configuration)
    }

    /// A table name unique to one test run, so tests never see each other's rows.
    static func tableName(_ prefix: String) -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }
}
