// swift-tools-version:6.1
import PackageDescription

// Benchmarks are not tests: release executables that print figures side by side with a peer's.
let package = Package(
    name: "ClearskyBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(path: "BenchSupport"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "WireBench",
            dependencies: [
                .product(name: "Wire", package: "main"), .product(name: "Contracts", package: "main"),
                .product(name: "Primitives", package: "main"), .product(name: "ClusterCertificates", package: "main"),
                "BenchSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "AuthBench",
            dependencies: [
                "BenchSupport", .product(name: "AccessTokens", package: "main"), .product(name: "Wire", package: "main"), .product(name: "Contracts", package: "main"),
                .product(name: "Primitives", package: "main"),
            ]),
        .executableTarget(
            name: "DetectionBench",
            dependencies: [
                "BenchSupport", .product(name: "Detection", package: "main"), .product(name: "Imaging", package: "main"),
            ]),
        .executableTarget(
            name: "GatewayBench",
            dependencies: [
                "BenchSupport", .product(name: "Imaging", package: "main"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "TagBench",
            dependencies: [
                "BenchSupport", .product(name: "TagIndex", package: "main"), .product(name: "Wire", package: "main"), .product(name: "Contracts", package: "main"),
                .product(name: "Primitives", package: "main"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .executableTarget(
            name: "StoreBench",
            dependencies: [
                "BenchSupport", .product(name: "SQLiteSupport", package: "main"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .executableTarget(
            name: "ImagingBench",
            dependencies: ["BenchSupport", .product(name: "Imaging", package: "main")]),
    ],
    swiftLanguageModes: [.v6]
)
