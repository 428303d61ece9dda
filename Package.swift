// swift-tools-version:6.2
import PackageDescription

// Upcoming features we hold every target to; warnings become errors in CI.
let strict: [SwiftSetting] =
    ["ExistentialAny", "InternalImportsByDefault", "MemberImportVisibility"].map { .enableUpcomingFeature($0) }
    + (Context.environment["CI"] != nil ? [.treatAllWarnings(as: .error)] : [])

let package = Package(
    name: "Lumis",
    products: [
        .executable(name: "lumis", targets: ["lumis"]),
        .library(name: "LumisInference", targets: ["LumisInference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        // C libraries. No pkgConfig for zmq: libzmq.pc emits flags SwiftPM rejects.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CNetCDF", pkgConfig: "netcdf", providers: [.apt(["libnetcdf-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // Starting a simulator that dies with us needs prctl between fork and exec, which posix_spawn cannot do.
        .target(name: "CProcessSpawn"),

        .target(name: "LumisTensor", swiftSettings: strict),
        .target(
            name: "LumisDistributions",
            dependencies: ["LumisTensor", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: strict),
        .target(name: "LumisWire", dependencies: ["LumisTensor", "LumisDistributions"], swiftSettings: strict),
        .target(name: "LumisTransport", dependencies: ["CZeroMQ"], swiftSettings: strict),
        .target(name: "LumisDistributed", dependencies: ["CMPI"], swiftSettings: strict),
        // The storage foundation: the one atomic file write, byte writer/reader and JSON writer/parser.
        .target(name: "LumisStorage", swiftSettings: strict),
        .target(
            name: "LumisCore", dependencies: ["LumisTensor", "LumisDistributions", "LumisStorage"], swiftSettings: strict),
        // The simulator layer: the PPX client, launched processes, where simulators come from, parallel traces.
        .target(
            name: "LumisSimulation",
            dependencies: [
                "LumisCore", "LumisTensor", "LumisDistributions", "LumisWire", "LumisTransport", "LumisDistributed",
                "CProcessSpawn",
            ],
            swiftSettings: strict),
        .target(
            name: "LumisInference",
            dependencies: [
                "LumisSimulation", "LumisCore", "LumisTensor", "LumisDistributions", "LumisStorage", "LumisDistributed",
            ],
            swiftSettings: strict),
        .target(
            name: "LumisOutput",
            dependencies: ["CNetCDF", "LumisInference", "LumisTensor", "LumisDistributions", "LumisStorage"],
            swiftSettings: strict),
        .target(
            name: "LumisCommandLine",
            dependencies: [
                "LumisInference", "LumisOutput", "LumisCore", "LumisTensor", "LumisCompilation", "LumisDistributed",
                "LumisDatasets", "LumisSimulation", "LumisTransport", "LumisDistributions", "LumisNeural", "LumisStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .target(
            name: "LumisDatasets",
            dependencies: [
                "LumisCore", "LumisSimulation", "LumisTensor", "LumisDistributions", "LumisStorage", "LumisDistributed",
            ],
            swiftSettings: strict),
        .executableTarget(name: "lumis", dependencies: ["LumisCommandLine"], swiftSettings: strict),
        .target(
            name: "LumisNeural",
            dependencies: [
                "COpenBLAS", "LumisDistributions", "LumisStorage", .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: strict),
        .target(
            name: "LumisProposals",
            dependencies: [
                "LumisDistributions", "LumisTensor", .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: strict),
        .target(
            name: "LumisTestSupport",
            dependencies: ["LumisCore", "LumisTensor", "LumisDistributions", "LumisInference"],
            swiftSettings: strict),
        .target(
            name: "LumisCompilation",
            dependencies: [
                "LumisNeural", "LumisProposals", "LumisInference", "LumisSimulation", "LumisCore", "LumisDistributions",
                "LumisTensor", "LumisDistributed", "LumisTransport", "LumisStorage", "LumisDatasets",
            ],
            swiftSettings: strict),

        .testTarget(
            name: "LumisDistributionsTests",
            dependencies: [
                "LumisDistributions", "LumisTensor", .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LumisWireTests",
            dependencies: [
                "LumisWire", "LumisTensor", "LumisDistributions",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Golden")],
            swiftSettings: strict),
        .testTarget(name: "LumisStorageTests", dependencies: ["LumisStorage"], swiftSettings: strict),
        .testTarget(name: "LumisDistributedTests", dependencies: ["LumisDistributed"], swiftSettings: strict),
        .testTarget(
            name: "LumisTransportTests", dependencies: ["LumisTransport"], swiftSettings: strict),
        .testTarget(
            name: "LumisCoreTests",
            dependencies: ["LumisCore", "LumisTensor", "LumisDistributions", "LumisTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "LumisSimulationTests",
            dependencies: [
                "LumisSimulation", "LumisCore", "LumisTensor", "LumisDistributions", "LumisTestSupport", "LumisWire",
                "LumisTransport", "CZeroMQ",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LumisInferenceTests",
            dependencies: [
                "LumisInference", "LumisSimulation", "LumisCore", "LumisTensor", "LumisDistributions",
                "LumisTestSupport", "LumisStorage",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LumisOutputTests",
            dependencies: ["LumisOutput", "LumisInference", "LumisCore", "LumisTensor"],
            swiftSettings: strict),
        .testTarget(
            name: "LumisNeuralTests",
            dependencies: [
                "LumisNeural", "LumisDistributions", .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LumisProposalsTests",
            dependencies: [
                "LumisProposals", "LumisDistributions", "LumisTensor",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LumisCommandLineTests",
            dependencies: [
                "LumisCommandLine", "LumisInference", "LumisTestSupport", "LumisCompilation", "LumisNeural",
                "LumisDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "LumisDatasetsTests",
            dependencies: [
                "LumisDatasets", "LumisSimulation", "LumisInference", "LumisCore", "LumisDistributions", "LumisTensor",
                "LumisTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LumisCompilationTests",
            dependencies: [
                "LumisCompilation", "LumisNeural", "LumisInference", "LumisSimulation", "LumisCore",
                "LumisDistributions",
                "LumisTensor", "LumisTestSupport",
            ],
            swiftSettings: strict),
    ]
)
