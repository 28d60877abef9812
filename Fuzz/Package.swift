// swift-tools-version: 6.1
//
// libFuzzer targets for Warden's untrusted-input parsers. A package of its own so the
// root package and its CI never build with -sanitize=fuzzer. Build and run with ./run.sh.
import PackageDescription

let package = Package(
    name: "WardenFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "warden", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "FuzzONNX",
            dependencies: [
                .product(name: "WardenONNX", package: "warden"),
            ]
        ),
        .executableTarget(
            name: "FuzzSandbox",
            dependencies: [
                .product(name: "WardenSandbox", package: "warden"),
                .product(name: "WardenTensor", package: "warden"),
                .product(name: "WardenCore", package: "warden"),
            ]
        ),
        .executableTarget(
            name: "FuzzV2Request",
            dependencies: [
                .product(name: "WardenServer", package: "warden"),
                .product(name: "WardenCore", package: "warden"),
            ]
        ),
        .executableTarget(
            name: "FuzzExecute",
            dependencies: [
                .product(name: "WardenONNX", package: "warden"),
                .product(name: "WardenRuntime", package: "warden"),
                .product(name: "WardenTensor", package: "warden"),
                .product(name: "WardenCore", package: "warden"),
            ]
        ),
        .executableTarget(
            name: "FuzzModelCard",
            dependencies: [
                .product(name: "WardenModel", package: "warden"),
                .product(name: "WardenCore", package: "warden"),
            ]
        ),
    ]
)
