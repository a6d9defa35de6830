// swift-tools-version:6.1
import PackageDescription

let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

// ImagingAVX2 is compiled for Haswell (AVX2) on x86-64 hosts; Imaging calls it only on CPUs that have AVX2.
// Elsewhere its sources compile to nothing.
#if arch(x86_64)
    let haswell: [SwiftSetting] = [.unsafeFlags(["-O", "-target-cpu", "haswell"])]
#else
    let haswell: [SwiftSetting] = optimizedInDebug
#endif

let package = Package(
    name: "Clearsky",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "ClusterCertificates", targets: ["ClusterCertificates"]),
        .library(name: "SQLiteSupport", targets: ["SQLiteSupport"]),
        .library(name: "PostgresSupport", targets: ["PostgresSupport"]),
        .library(name: "Contracts", targets: ["Contracts"]),
        .library(name: "Primitives", targets: ["Primitives"]),
        .library(name: "ImageOperations", targets: ["ImageOperations"]),
        .library(name: "Imaging", targets: ["Imaging"]),
        .library(name: "AccessTokens", targets: ["AccessTokens"]),
        .library(name: "Detection", targets: ["Detection"]),
        .library(name: "TagIndex", targets: ["TagIndex"]),
        .executable(name: "clearsky", targets: ["clearsky"]),
        .executable(name: "AuthSvc", targets: ["AuthSvc"]),
        .executable(name: "StoreSvc", targets: ["StoreSvc"]),
        .executable(name: "ProcessSvc", targets: ["ProcessSvc"]),
        .executable(name: "TagSvc", targets: ["TagSvc"]),
        .executable(name: "Gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // System libraries: module maps and shims only.
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CZlib"),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // libcrypto's primitives (random bytes, HMAC-SHA256, PBKDF2, SHA-256, hex) and a fast UTF-8 check.
        .target(name: "Primitives", dependencies: ["COpenSSL"]),

        // SQLite opened for durability: every service's stores (synchronous = FULL on the writer).
        .target(name: "SQLiteSupport", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),

        // PostgreSQL for services that run as replicas: a database URL, a schema per service with versioned
        // migrations, errors mapped to Wire's codes (postgres-nio).
        .target(
            name: "PostgresSupport",
            dependencies: [
                "Wire",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // The tracer every process installs: W3C Trace Context propagation, the trace id on every log line.
        .target(
            name: "TraceContext",
            dependencies: [
                "Primitives",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]),

        // The protocol every service speaks: codec, frames, handshake, client, server, methods, errors.
        .target(
            name: "Wire",
            dependencies: [
                "COpenSSL", "Primitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            // The codec's state is a class touched on every field; run-time exclusivity checks on it were
            // a tenth of encoding (the compile-time checks stay).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),

        // The cluster's CA and one certificate per identity, for Wire over mutual TLS (`clearsky certs`).
        .target(
            name: "ClusterCertificates",
            dependencies: [
                "Wire",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]),

        // What the services say to each other: each one's methods, messages, events and error codes.
        .target(name: "Contracts", dependencies: ["Wire", "ImageOperations"]),
        // What an image operation is (names, parameters, ranges, its JSON and Wire form), without pixels:
        // the gateway, the contracts and the CLI use it; Imaging runs it.
        .target(name: "ImageOperations"),

        // Decode/encode (TurboJPEG, libpng), pixel buffers, operations, dehaze.
        // Imaging and Detection are optimized in debug builds too: the tests run every operation and the
        // detector on real photos, and unoptimized pixel loops would make them the slowest part of a run.
        .target(
            name: "Imaging", dependencies: ["ImageOperations", "CTurboJPEG", "CPNG", "ImagingKernels", "ImagingAVX2"],
            swiftSettings: optimizedInDebug),
        // Kernels generic over their vector type (inlinable: each caller's module specialises them).
        .target(name: "ImagingKernels", swiftSettings: optimizedInDebug),
        // Imaging's kernels for AVX2 (Haswell and later), called only after a run-time check of the CPU.
        .target(
            name: "ImagingAVX2", dependencies: ["ImagingKernels"], swiftSettings: haswell),

        // The contract-test harness: a real server on port 0 and the real client, in the test process.
        .target(
            name: "WireTesting",
            dependencies: [
                "Wire", "Contracts", "Primitives", "ServiceRuntime", "ClusterCertificates",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // Configuration, logging and lifecycle shared by the five executables.
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "Wire", "Contracts", "Primitives", "TraceContext", "ClusterCertificates",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // YOLOv3-tiny: darknet cfg and weights, forward pass, detections.
        .target(
            name: "Detection", dependencies: ["Imaging", "Primitives", "COpenBLAS"], swiftSettings: optimizedInDebug),

        // HS256 JSON Web Tokens: signed by AuthSvc, verified by the gateway.
        .target(name: "AccessTokens", dependencies: ["Primitives", "COpenSSL"]),

        // Mail delivery (SMTP or the outbox folder), for AuthSvc's codes and TagSvc's notifications.
        .target(
            name: "Mail",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),

        .executableTarget(
            name: "AuthSvc",
            dependencies: [
                "Wire", "Contracts", "Primitives", "ServiceRuntime", "AccessTokens", "Mail",
                "SQLiteSupport", "PostgresSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Taking images in: decoded once before acceptance, Imaging errors mapped to Wire codes.
        .target(name: "ImageIntake", dependencies: ["Imaging", "Wire", "Contracts"]),

        .executableTarget(
            name: "StoreSvc",
            dependencies: [
                "Wire", "Contracts", "Primitives", "ServiceRuntime", "ImageIntake", "Imaging",
                "SQLiteSupport", "PostgresSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "ProcessSvc",
            dependencies: [
                "Wire", "Contracts", "Primitives", "ServiceRuntime", "ImageIntake", "Imaging", "ImageOperations",
                "SQLiteSupport", "PostgresSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // TagSvc's SQLite index: images, automatic and manual tags, visible tags, subscriptions, queries.
        // IP addresses and CIDR ranges as the C library reads them: webhook targets, trusted proxies.
        .target(name: "NetworkAddresses"),
        .target(
            name: "TagIndex",
            dependencies: [
                "Wire", "Contracts", "Primitives", "SQLiteSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .executableTarget(
            name: "TagSvc",
            dependencies: [
                "Wire", "Contracts", "Primitives", "TagIndex", "ServiceRuntime", "Detection", "Imaging", "ImageIntake",
                "Mail", "NetworkAddresses", "PostgresSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "Gateway",
            dependencies: [
                "Wire", "Contracts", "ImageOperations", "Primitives", "ServiceRuntime", "AccessTokens",
                "NetworkAddresses", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "clearsky",
            dependencies: [
                "Wire", "Contracts", "Primitives", "ServiceRuntime", "ImageOperations", "ClusterCertificates",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // Images for tests, as users upload them, and byte-level PNG/JPEG builders for malformed ones.
        // and the trait that keeps CPU-heavy tests off the cooperative pool.
        .target(name: "TestImages", dependencies: ["ServiceRuntime", "Detection"], resources: [.copy("Resources")]),
        // Servers the notification tests talk to: a webhook endpoint (NIO HTTP) and aiosmtpd.
        .target(
            name: "TestServers",
            dependencies: [
                "ServiceRuntime",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),

        .testTarget(
            name: "ImagingTests",
            dependencies: [
                "Imaging", "ImagingKernels", "Wire", "Contracts", "Primitives", "WireTesting", "TestImages",
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "WireTests",
            dependencies: [
                "Wire", "Contracts", "Primitives", "WireTesting", "TraceContext", "ClusterCertificates",
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts", "Wire", "WireTesting"]),
        .testTarget(name: "ImageOperationsTests", dependencies: ["ImageOperations", "Wire"]),
        .testTarget(
            name: "TagIndexTests",
            dependencies: ["TagIndex", "Contracts", "Wire", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "ImageIntakeTests", dependencies: ["ImageIntake", "Imaging", "Contracts", "Wire", "TestImages"]),
        .testTarget(
            name: "ServiceRuntimeTests",
            dependencies: [
                "ServiceRuntime", "Wire", "Contracts", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "AuthSvcTests",
            dependencies: [
                "AuthSvc", "AccessTokens", "Mail", "Wire", "Contracts", "Primitives", "WireTesting", "ServiceRuntime",
                "TestServers", "PostgresSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "AccessTokensTests", dependencies: ["AccessTokens", "Wire", "Contracts", "Primitives", "WireTesting"]),
        .testTarget(
            name: "DetectionTests",
            dependencies: ["Detection", "Imaging", "Wire", "Contracts", "Primitives", "TestImages"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "MailTests",
            dependencies: [
                "Mail", "TestServers", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "StoreSvcTests",
            dependencies: [
                "StoreSvc", "Wire", "Contracts", "Primitives", "WireTesting", "Imaging", "TestImages",
                "TestServers", "PostgresSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]),
        .testTarget(
            name: "ProcessSvcTests",
            dependencies: [
                "ProcessSvc", "StoreSvc", "Wire", "Contracts", "Primitives", "WireTesting", "Imaging",
                "ImageOperations", "TestImages", "TestServers", "PostgresSupport",
                "ServiceRuntime",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "PostgresSupportTests",
            dependencies: [
                "PostgresSupport", "TestServers", "Wire",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "TagSvcTests",
            dependencies: [
                "TagSvc", "TagIndex", "StoreSvc", "Detection", "Mail", "Wire", "Contracts", "Primitives", "WireTesting",
                "TestImages",
                "NetworkAddresses",
                "TestServers", "PostgresSupport",
                "ServiceRuntime", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Wire", "Contracts", "Primitives", "WireTesting", "ServiceRuntime", "AuthSvc",
                "AccessTokens", "Mail", "StoreSvc",
                "NetworkAddresses",
                "ProcessSvc", "TagSvc", "TagIndex", "Detection", "Imaging", "TestImages", "TestServers",
                "PostgresSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "clearskyTests",
            dependencies: [
                "clearsky", "AuthSvc", "StoreSvc", "ProcessSvc", "TagSvc", "Gateway", "Wire", "Contracts", "Primitives",
                "WireTesting", "TestImages", "ClusterCertificates", "ServiceRuntime", "PostgresSupport", "TestServers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
