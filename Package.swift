// swift-tools-version:6.0
// TMI collaboration server. No package dependencies by design: the standard library, Foundation,
// Dispatch, Synchronization, Glibc, and OpenSSL/zlib through the small system-library shims below.
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]
// The request path runs on the I/O loop that owns the connection (a task executor, DESIGN §3):
// with this, a nonisolated async function runs on its caller's executor instead of switching to
// the "generic" one, which with a task executor preference costs a runtime lock per call.
let loopLocal: [SwiftSetting] = strict + [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

let package = Package(
    name: "tmi-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tmi-server", targets: ["tmi-server"]),
        .executable(name: "tmi-loadtest", targets: ["tmi-loadtest"]),
    ],
    targets: [
        // C shims: epoll/eventfd/accept4 wrappers, OpenSSL, zlib.
        .target(name: "CTMISystem", path: "Sources/CTMISystem"),
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // Bytes <-> messages: sockets, the epoll poller, HTTP/1.1, WebSocket, gzip.
        .target(
            name: "WireProtocol", dependencies: ["CTMISystem", "COpenSSL", "CZlib"],
            swiftSettings: loopLocal),
        // Pure domain: JSON values, models, validation, JSON Patch, diagram operations. No I/O.
        .target(name: "CollabCore", swiftSettings: strict),
        // The store boundary (`Store`) over the domain types, and its embedded backend: journals
        // with group commit, atomic snapshots, recovery. Never imports the gateway (DESIGN §2).
        .target(name: "Storage", dependencies: ["CTMISystem", "CollabCore"], swiftSettings: strict),
        // Login providers (test, OIDC), JWT, signing keys, token ledger, users; below the gateway.
        .target(
            name: "Identity", dependencies: ["WireProtocol", "CollabCore", "Storage", "COpenSSL"],
            swiftSettings: strict),
        // The PostgreSQL backend of the store: Storage's boundary over WireProtocol's client.
        .target(
            name: "StoragePostgres", dependencies: ["Storage", "WireProtocol", "CollabCore"],
            swiftSettings: strict),
        // Several nodes: the Redis directory of live nodes and of each diagram session's owner
        // (leases with fencing tokens; docs/cluster.md).
        .target(name: "Cluster", dependencies: ["WireProtocol", "CollabCore"], swiftSettings: strict),
        // One actor per live diagram session and the session directory.
        .target(name: "SessionActors", dependencies: ["CollabCore"], swiftSettings: strict),
        // Routing, handlers, error mapping, persistence wiring, sockets to sessions.
        .target(
            name: "RESTGateway",
            dependencies: [
                "WireProtocol", "CollabCore", "SessionActors", "Storage", "StoragePostgres", "Identity",
                "COpenSSL", "Cluster",
            ],
            // The operator console's page, compiled into the binary (docs/console.md).
            resources: [
                .embedInCode("Console/Assets/console.html"), .embedInCode("Console/Assets/console.js"),
                .embedInCode("Console/Assets/console.css"),
            ],
            swiftSettings: loopLocal),
        .executableTarget(name: "tmi-server", dependencies: ["RESTGateway"], swiftSettings: strict),
        // Drives Storage from a child process: the SIGKILL crash test and the storage benchmark.
        .executableTarget(
            name: "tmi-storage-probe", dependencies: ["Storage"], path: "Sources/tmi-storage-probe",
            swiftSettings: strict),

        // Load-test tool: logic in a library so it is testable, a thin executable around it.
        .target(
            name: "LoadTestKit", dependencies: ["WireProtocol", "CollabCore"],
            path: "loadtest/LoadTestKit", swiftSettings: strict),
        .executableTarget(
            name: "tmi-loadtest", dependencies: ["LoadTestKit"], path: "loadtest/tmi-loadtest",
            swiftSettings: strict),

        // HTTP benchmark server for wrk (benchmarks/http.md); depends on WireProtocol only.
        .executableTarget(
            name: "tmi-httpbench", dependencies: ["WireProtocol"], path: "benchmarks/tmi-httpbench",
            swiftSettings: strict),

        // The gateway's CPU per request without sockets (benchmarks/perf.md).
        .executableTarget(
            name: "tmi-gatewaybench", dependencies: ["RESTGateway", "WireProtocol", "CollabCore"],
            path: "benchmarks/tmi-gatewaybench", swiftSettings: strict),

        // Micro-benchmark of the collaboration engine and session (benchmarks/collab.md).
        .executableTarget(
            name: "tmi-collabbench", dependencies: ["CollabCore", "SessionActors"],
            path: "benchmarks/tmi-collabbench", swiftSettings: strict),

        // WebSocket echo server for Autobahn and the WebSocket benchmark (benchmarks/websocket.md).
        .executableTarget(
            name: "tmi-wsecho", dependencies: ["WireProtocol"], path: "benchmarks/tmi-wsecho",
            swiftSettings: strict),

        // Helpers shared by the test targets (seeded randomness, live servers, logins, clients).
        .target(
            name: "TestSupport", dependencies: ["RESTGateway", "WireProtocol", "CollabCore"],
            path: "Tests/TestSupport", swiftSettings: strict),

        .testTarget(
            name: "WireProtocolTests", dependencies: ["TestSupport", "WireProtocol"], swiftSettings: strict),
        .testTarget(
            name: "ClusterTests", dependencies: ["TestSupport", "Cluster", "WireProtocol"],
            swiftSettings: strict),
        .testTarget(
            name: "CollabCoreTests", dependencies: ["TestSupport", "CollabCore"], swiftSettings: strict),
        .testTarget(
            name: "StorageTests", dependencies: ["TestSupport", "Storage", "StoragePostgres", "CollabCore"],
            swiftSettings: strict),
        .testTarget(
            name: "SessionActorsTests", dependencies: ["TestSupport", "SessionActors", "CollabCore"],
            swiftSettings: strict),
        .testTarget(
            name: "RESTGatewayTests",
            dependencies: [
                "TestSupport", "RESTGateway", "Identity", "WireProtocol", "CollabCore", "COpenSSL", "Storage",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "IdentityTests",
            dependencies: ["TestSupport", "Identity", "CollabCore", "WireProtocol", "COpenSSL"],
            swiftSettings: strict),
        .testTarget(
            name: "LoadTestTests", dependencies: ["TestSupport", "LoadTestKit", "RESTGateway"],
            swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "TestSupport", "RESTGateway", "Identity", "WireProtocol", "CollabCore", "COpenSSL", "Storage",
                "StoragePostgres",
            ],
            swiftSettings: strict),
    ]
)
