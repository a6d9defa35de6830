// swift-tools-version:6.1
import PackageDescription

// The gRPC peer for the Wire benchmark, in its own package so that the main build never compiles gRPC.
let package = Package(
    name: "GRPCPeer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../BenchSupport"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    ],
    targets: [
        .executableTarget(
            name: "GRPCPeer",
            dependencies: [
                "BenchSupport",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ])
    ],
    swiftLanguageModes: [.v6]
)
