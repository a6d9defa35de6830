// swift-tools-version:6.1
import PackageDescription

// What every benchmark program measures with, so that Wire and its peers are timed the same way.
let package = Package(
    name: "BenchSupport",
    platforms: [.macOS(.v15)],
    products: [.library(name: "BenchSupport", targets: ["BenchSupport"])],
    targets: [.target(name: "BenchSupport")],
    swiftLanguageModes: [.v6]
)
