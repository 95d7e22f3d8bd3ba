// swift-tools-version:6.1
import PackageDescription

// Password hashing (Argon2id) must run at full speed even in a debug build, or sign-in in `swift run` would take
// seconds; so its small target (and only it) is always optimised.
let alwaysOptimised: [SwiftSetting] = [.unsafeFlags(["-O"])]

// TESSERA_FUZZ=1 (set by scripts/fuzz, which builds in its own scratch path) adds the libFuzzer harness. Only
// Tessera's own parser modules are instrumented: the dependencies build as usual, which keeps the fuzz build close
// to the cost of a plain debug build, and the coverage libFuzzer steers by is the coverage of Tessera's code.
// AddressSanitizer (-sanitize=fuzzer,address) builds as quickly but ran the targets four to nine times slower; the
// parsers are safe Swift with no pointers of their own, so a minute buys more inputs without it.
let fuzzing = Context.environment["TESSERA_FUZZ"] != nil
let instrumented: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer"])] : []

let package = Package(
    name: "tessera",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .target(name: "Argon2", swiftSettings: alwaysOptimised),
        // OpenSSL 3's libcrypto, which signs RS256 (Debian's libssl-dev).
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(
            name: "TesseraCrypto",
            dependencies: [
                "Argon2", "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: instrumented
        ),
        .target(
            name: "TesseraCore",
            dependencies: [
                "TesseraCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: instrumented
        ),
        .target(
            name: "TesseraStore",
            dependencies: [
                "TesseraCore", "TesseraCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TesseraServer",
            dependencies: [
                "TesseraCore", "TesseraCrypto", "TesseraStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: instrumented
        ),
        .executableTarget(
            name: "tessera",
            dependencies: [
                "TesseraServer", "TesseraCore", "TesseraCrypto", "TesseraStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the test targets share: the two stores, a clock moved by hand, the upgrade fixture.
        .target(
            name: "TesseraTestSupport",
            dependencies: [
                "TesseraStore", "TesseraCore", "TesseraCrypto", "Argon2",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TesseraTestSupport"
        ),
        .testTarget(name: "TesseraCryptoTests", dependencies: ["TesseraCrypto", "Argon2"]),
        .testTarget(name: "TesseraCoreTests", dependencies: ["TesseraCore", "TesseraCrypto", "TesseraTestSupport"]),
        .testTarget(
            name: "TesseraStoreTests",
            dependencies: [
                "TesseraStore", "TesseraCore", "TesseraCrypto", "TesseraTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TesseraServerTests",
            dependencies: [
                "TesseraServer", "TesseraStore", "TesseraCore", "Argon2", "TesseraTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
    ]
)

if fuzzing {
    package.products.append(.executable(name: "TesseraFuzz", targets: ["TesseraFuzz"]))
    package.targets += [
        // Declares libFuzzer's LLVMFuzzerRunDriver, which the harness's own main calls (see Sources/TesseraFuzz/main.swift).
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "TesseraFuzz",
            dependencies: [
                "CFuzzerDriver", "TesseraServer", "TesseraCore", "TesseraCrypto",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: instrumented,
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer"])]
        ),
    ]
}
