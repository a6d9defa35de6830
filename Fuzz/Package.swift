// swift-tools-version:6.1
import PackageDescription

// libFuzzer target for the frame reader and the Wire decoder. Build it with
//   swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library --product WireFuzz
// (make fuzz does); WireFuzz's main hands control to libFuzzer's driver.
let package = Package(
    name: "ClearskyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "CFuzzer"),
        .executableTarget(
            name: "WireFuzz",
            dependencies: [
                "CFuzzer",
                .product(name: "Wire", package: "main"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // gold crashes on this link (internal error in format_file_lineno); lld does not.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
    ],
    swiftLanguageModes: [.v6]
)
