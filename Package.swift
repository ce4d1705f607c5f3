// swift-tools-version:6.1
import PackageDescription

// Every target opts into the upcoming features that make costs and dependencies visible (STYLE.md §2).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "ztguardd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ztguardd", targets: ["ztguardd"]),
        .executable(name: "fake-cloudflare", targets: ["fake-cloudflare"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // System libraries. Only Transport/Curl*.swift and Systemd/*.swift import these.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        // glibc's <malloc.h> (malloc_trim), which the Glibc module leaves out. Nothing is linked.
        .systemLibrary(name: "CMalloc"),
        // The Swift runtime's executor hooks (MainThreadExecutor). Nothing is linked.
        .systemLibrary(name: "CSwiftExecutorHooks"),

        // The pure rule engine: registrations + now + rules -> plan. No I/O.
        .target(name: "Rules", swiftSettings: strictSettings),

        // The Cloudflare API client and its libcurl transport.
        .target(
            name: "Cloudflare",
            dependencies: [
                "CCurl",
                "Rules",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        // An in-memory Cloudflare account that answers API requests: the `demo` account, and the
        // brain of the loopback fake server used by tests, e2e and benchmarks.
        .target(name: "Simulation", dependencies: ["Cloudflare", "Rules"], swiftSettings: strictSettings),

        // The simulated account served over real HTTP on loopback, with fault injection.
        .target(
            name: "FakeCloudflareServer",
            dependencies: [
                "Simulation",
                "Cloudflare",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "fake-cloudflare",
            dependencies: [
                "FakeCloudflareServer", "Simulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        .executableTarget(
            name: "ztguardd",
            dependencies: [
                "Rules", "Cloudflare", "Simulation", "CSystemd", "CMalloc", "CSwiftExecutorHooks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings,
            // GnuTLS asks the executable whether to skip its initialisation at load (Entry+GnuTLS.swift);
            // it can ask only if the executable exports the answer.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic-symbol=_gnutls_global_init_skip"], .when(platforms: [.linux]))]
        ),

        .testTarget(name: "RulesTests", dependencies: ["Rules"], swiftSettings: strictSettings),
        .testTarget(
            name: "CloudflareTests",
            dependencies: ["Cloudflare", "Rules", "Simulation", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ztguarddTests",
            dependencies: ["ztguardd", "Rules", "Cloudflare", "Simulation"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "Cloudflare"],
            swiftSettings: strictSettings
        ),
        // Real libcurl against a real HTTP server on 127.0.0.1.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "ztguardd", "Cloudflare", "Simulation", "FakeCloudflareServer", "Rules",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)

// Benchmarks (`make bench`) only: ordo-one/benchmark and its plugin are not resolved or built by
// `make build` and `make test`, which then stay as fast as the product needs.
if Context.environment["ZTGUARDD_BENCHMARKS"] == "1" {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "RulesBenchmarks",
            dependencies: ["Rules", "Simulation", "Cloudflare", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/RulesBenchmarks",
            swiftSettings: strictSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
