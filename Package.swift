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
        .executable(name: "notifyd", targets: ["notifyd"]),
        .executable(name: "webd", targets: ["webd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // libzmq from Debian's libzmq3-dev; the modulemap links `zmq` directly because
        // `pkg-config libzmq` emits flags SwiftPM refuses.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        // libcurl from Debian's libcurl4-openssl-dev: SMTP (STARTTLS, TLS, AUTH) and HTTP for
        // notifyd; shim.h wraps the variadic curl_easy_setopt, which Swift cannot call.
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "BookingDomain"),
        // The one iCalendar writer: the page's .ics file and notifyd's invites (pure).
        .target(name: "ICalendar"),
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
        // notifyd's parts: what a message says (pure), how it travels (I/O), what was sent (SQLite).
        .target(
            name: "Notifications",
            dependencies: [
                "BookingDomain",
                "BookingProtocol",
                "ICalendar",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Delivery",
            dependencies: ["CCurl", "ZeroMQ", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Test kit: real SMTP and HTTP servers on loopback (Python scripts in Tests/Support).
        .target(name: "LoopbackServers"),
        .target(
            name: "NotificationStore",
            dependencies: ["Notifications", "BookingProtocol", "SQLiteBackup", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "notifyd",
            dependencies: [
                "DaemonKit", "Notifications", "Delivery", "NotificationStore", "BookingDomain", "BookingProtocol", "ZeroMQ",
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // webd's parts: the page and JSON API as a library (tested in-process), and the daemon.
        .target(
            name: "WebFrontend",
            dependencies: [
                "DaemonKit", "BookingDomain", "BookingProtocol", "ICalendar",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "webd",
            dependencies: ["WebFrontend", "DaemonKit", .product(name: "Hummingbird", package: "hummingbird")]
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
        .testTarget(name: "ICalendarTests", dependencies: ["ICalendar"]),
        .testTarget(name: "BookingStoreTests", dependencies: ["BookingStore", "BookingDomain", "BookingProtocol"]),
        .testTarget(name: "DaemonKitTests", dependencies: ["DaemonKit", "BookingProtocol", "BookingDomain", "ZeroMQ"]),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications", "BookingProtocol", "BookingDomain"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "ZeroMQ", "LoopbackServers"]),
        .testTarget(name: "NotificationStoreTests", dependencies: ["NotificationStore", "Notifications", "BookingProtocol"]),
        .testTarget(
            name: "WebFrontendTests",
            dependencies: ["WebFrontend", "BookingProtocol", "BookingDomain", "DaemonKit", "ZeroMQ",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["BookingProtocol", "BookingDomain", "ZeroMQ", "DaemonKit", "WebFrontend", "LoopbackServers",
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            exclude: ["support", "browser"]
        ),
    ]
)
