// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets: the Wire frame reader and decoder, the JPEG and PNG decoders, the JWT parser, the
// gateway's multipart reader and the operations decoder. Build one with
//   swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library --product JPEGFuzz
// (`make fuzz` builds and runs each for FUZZ_SECONDS); each main hands control to libFuzzer's driver.
// Their committed corpora (corpus/<name>) are replayed by `make test` through the same code paths.
let package = Package(
    name: "ClearskyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .target(name: "CFuzzer"),
        .target(name: "FuzzDriver", dependencies: ["CFuzzer"]),
        fuzzer("WireFuzz", [.product(name: "Wire", package: "main"), .product(name: "Contracts", package: "main"),
                .product(name: "Primitives", package: "main"), .product(name: "NIOCore", package: "swift-nio")]),
        fuzzer("JPEGFuzz", [.product(name: "Imaging", package: "main")]),
        fuzzer("PNGFuzz", [.product(name: "Imaging", package: "main")]),
        fuzzer("JWTFuzz", [.product(name: "AccessTokens", package: "main"), .product(name: "Primitives", package: "main")]),
        // The gateway is an executable: its multipart reader and header parser are linked in as sources
        // (symlinks to Sources/Gateway), so the fuzzer runs exactly what serves uploads.
        fuzzer(
            "MultipartFuzz",
            [.product(name: "NIOCore", package: "swift-nio")]),
        fuzzer("OpsFuzz", [.product(name: "Imaging", package: "main")]),
    ],
    swiftLanguageModes: [.v6]
)

func fuzzer(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: ["FuzzDriver"] + dependencies,
        // gold crashes on this link (internal error in format_file_lineno); lld does not.
        linkerSettings: [.unsafeFlags(["-use-ld=lld"])])
}
