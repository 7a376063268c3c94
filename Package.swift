// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "booking-suite",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bookingd", targets: ["bookingd"]),
        .executable(name: "availabilityd", targets: ["availabilityd"]),
        .executable(name: "bookctl", targets: ["bookctl"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // libzmq from Debian's libzmq3-dev; the modulemap links `zmq` directly because
        // `pkg-config libzmq` emits flags SwiftPM refuses.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "BookingDomain"),
        .target(name: "BookingProtocol"),
        .target(name: "SQLiteBackup", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "BookingStore",
            dependencies: [
                "BookingDomain",
                "BookingProtocol",
                "SQLiteBackup",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "DaemonKit",
            dependencies: [
                "BookingDomain",
                "BookingProtocol",
                "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "bookingd",
            dependencies: ["DaemonKit", "BookingStore", "BookingDomain", "BookingProtocol", "ZeroMQ",
                           .product(name: "Metrics", package: "swift-metrics")]
        ),
        .executableTarget(
            name: "availabilityd",
            dependencies: ["DaemonKit", "BookingDomain", "BookingProtocol", "ZeroMQ", "SQLiteBackup",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Metrics", package: "swift-metrics")]
        ),
        .executableTarget(
            name: "bookctl",
            dependencies: [
                "DaemonKit", "BookingDomain", "BookingProtocol", "ZeroMQ", "SQLiteBackup",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "bench",
            dependencies: [
                "DaemonKit", "BookingDomain", "BookingProtocol", "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "BookingDomainTests", dependencies: ["BookingDomain", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "BookingProtocolTests", dependencies: ["BookingProtocol"]),
        .testTarget(name: "BookingStoreTests", dependencies: ["BookingStore", "BookingDomain", "BookingProtocol"]),
        .testTarget(name: "DaemonKitTests", dependencies: ["DaemonKit", "BookingProtocol", "BookingDomain", "ZeroMQ"]),
        .testTarget(name: "EndToEndTests", dependencies: ["BookingProtocol", "BookingDomain", "ZeroMQ", "DaemonKit"]),
    ]
)
