// swift-tools-version: 6.1
import PackageDescription

/// One set of settings for every target, tests included.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "warden",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "warden", targets: ["warden"]),
        .library(name: "WardenCore", targets: ["WardenCore"]),
        .library(name: "WardenIntegrity", targets: ["WardenIntegrity"]),
        .library(name: "WardenTensor", targets: ["WardenTensor"]),
        .library(name: "WardenONNX", targets: ["WardenONNX"]),
        .library(name: "WardenRuntime", targets: ["WardenRuntime"]),
        .library(name: "WardenModel", targets: ["WardenModel"]),
        .library(name: "WardenSandbox", targets: ["WardenSandbox"]),
        .library(name: "WardenRegistry", targets: ["WardenRegistry"]),
        .library(name: "WardenServing", targets: ["WardenServing"]),
        .library(name: "WardenServer", targets: ["WardenServer"]),
        .library(name: "WardenClient", targets: ["WardenClient"]),
        .library(name: "WardenAPI", targets: ["WardenAPI"]),
    ],
    dependencies: [
        // SHA-256/384/512, ECDSA P-256/384/521 and Ed25519 (BoringSSL-backed on Linux, SHA-NI when present).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        // PKCS#8 / SEC1 / SubjectPublicKeyInfo parsing with algorithm dispatch, and PEM.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        // ONNX protobuf runtime; the generated code in Sources/WardenONNX/Proto is committed.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        // Model cards (warden.yaml), with line and column marks for error messages.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        // Registry metadata: SQLite with WAL, migrations and foreign keys.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Registry metadata shared by several `warden serve` replicas: PostgreSQL through its
        // connection pool (PostgresClient), with LISTEN/NOTIFY for the change stream.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        // The HTTP server and its lifecycle (graceful shutdown on SIGTERM/SIGINT).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Serving metrics: swift-metrics handles, exported in Prometheus's text format at /metrics.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        // Deque for the inference queues.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // The CLI's client of the registry API: streaming uploads and downloads.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // ByteBuffer, the chunk type of blob uploads and reads (AsyncHTTPClient and Hummingbird use it too).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        // The WASM sandbox: a pure-Swift interpreter with fuel metering and a resource limiter,
        // and its WAT assembler, so pre/post-processing modules can ship as text.
        .package(url: "https://github.com/swiftwasm/WasmKit.git", .upToNextMinor(from: "0.4.2")),
        // Tests only: decodes the served openapi.yaml as an OpenAPI 3.1 document and validates it
        // (structure, every $ref resolving), so `swift test` checks the contract without Python.
        // Its ExternalLoading trait (loading remote $refs) is off: the document is self-contained.
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
    ],
    targets: [
        .target(
            name: "WardenCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenIntegrity",
            dependencies: [
                "WardenCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SGEMM register tile in C, so it can use AVX-512/AVX2 after a run-time CPU check.
        .target(
            name: "CWardenKernels",
            cSettings: [.unsafeFlags(["-O3"])]
        ),
        // Tensors and their byte encodings (the V2 binary extension, the WASM ABI, .npy): what
        // requests, the sandbox and the client pass around, with no model format or executor.
        .target(
            name: "WardenTensor",
            dependencies: ["WardenCore"],
            swiftSettings: swiftSettings
        ),
        // The ONNX format: the protobuf model, its parsing, inspection, canonical hashing and
        // diffs. What the registry needs to describe a model, without the executor.
        .target(
            name: "WardenONNX",
            dependencies: [
                "WardenCore",
                "WardenTensor",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executor: graph optimization, shape inference, memory planning, the worker
        // pool and the kernels (with the C GEMM tile), running models WardenONNX parsed.
        .target(
            name: "WardenRuntime",
            dependencies: [
                "WardenCore",
                "WardenTensor",
                "WardenONNX",
                "CWardenKernels",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenModel",
            dependencies: [
                "WardenCore",
                "WardenIntegrity",
                "WardenONNX",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenSandbox",
            dependencies: [
                "WardenCore",
                "WardenTensor",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenRegistry",
            dependencies: [
                "WardenCore",
                "WardenIntegrity",
                "WardenModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The S3 blob store's HTTP client: already built for WardenClient, streams request
                // and response bodies as NIO ByteBuffers, and pools connections; no AWS SDK
                // (Soto) is available, so SigV4 signing is ours (Blobs/S3/SigV4Signer.swift).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenServing",
            dependencies: [
                "WardenCore",
                "WardenIntegrity",
                "WardenTensor",
                "WardenONNX",
                "WardenRuntime",
                "WardenModel",
                "WardenRegistry",
                "WardenSandbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenServer",
            dependencies: [
                "WardenCore",
                "WardenAPI",
                "WardenIntegrity",
                "WardenTensor",
                "WardenONNX",
                "WardenRuntime",
                "WardenModel",
                "WardenRegistry",
                "WardenSandbox",
                "WardenServing",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        // The registry API's wire types (Codable), shared by the server and the client so that
        // a change to one side fails to compile on the other. Foundation only.
        .target(
            name: "WardenAPI",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WardenClient",
            dependencies: [
                "WardenCore",
                "WardenAPI",
                "WardenIntegrity",
                "WardenTensor",
                // The publish pipeline (Publisher) describes a model folder and assesses changes
                // as the registry does, so it refuses what the registry would before uploading.
                "WardenModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "warden",
            dependencies: [
                "WardenCore",
                "WardenIntegrity",
                "WardenTensor",
                "WardenONNX",
                "WardenRuntime",
                "WardenModel",
                "WardenRegistry",
                "WardenSandbox",
                "WardenServing",
                "WardenServer",
                "WardenClient",
                "WardenAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // bench/s3-blobs.sh: push and pull of one large blob through each blob store, driven
        // directly (warden serve does not take --blobs s3:// yet).
        .executableTarget(
            name: "warden-blob-bench",
            dependencies: [
                "WardenCore",
                "WardenRegistry",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "bench/BlobBench",
            swiftSettings: swiftSettings
        ),
        // Helpers every test target shares: temporary directories, the WardenError expectation,
        // databases on the PostgreSQL test server.
        .target(
            name: "WardenTestSupport",
            dependencies: [
                "WardenCore",
                // Fresh databases on the PostgreSQL test server (WARDEN_TEST_POSTGRES_URL).
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/WardenTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenCoreTests",
            dependencies: ["WardenCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenIntegrityTests",
            dependencies: ["WardenIntegrity", "WardenCore", "WardenTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenONNXTests",
            dependencies: ["WardenONNX", "WardenRuntime", "WardenTensor", "WardenCore", "WardenTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenModelTests",
            dependencies: ["WardenModel", "WardenONNX", "WardenRuntime", "WardenIntegrity", "WardenCore", "WardenTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenSandboxTests",
            dependencies: ["WardenSandbox", "WardenTensor", "WardenCore", "WardenTestSupport"],
            resources: [.copy("Modules")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenRegistryTests",
            dependencies: [
                "WardenRegistry", "WardenModel", "WardenIntegrity", "WardenCore", "WardenTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // Fixtures/sigv4: AWS's SigV4 test vectors (see its README).
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenServerTests",
            dependencies: [
                "WardenServer", "WardenAPI", "WardenServing", "WardenSandbox", "WardenONNX", "WardenRuntime", "WardenTensor", "WardenRegistry", "WardenModel", "WardenIntegrity", "WardenCore", "WardenTestSupport",
                "WardenClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WardenServingTests",
            dependencies: ["WardenServing", "WardenONNX", "WardenRuntime", "WardenTensor", "WardenRegistry", "WardenModel", "WardenIntegrity", "WardenCore", "WardenTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["WardenIntegrity", "WardenONNX", "WardenRuntime", "WardenTensor", "WardenCore", "warden"],
            swiftSettings: swiftSettings
        ),
    ]
)
