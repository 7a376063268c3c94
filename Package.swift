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
        .executable(name: "booking", targets: ["booking"]),
        // The parsers the fuzzers in Fuzz/ (a package of its own) drive.
        .library(name: "BookingProtocol", targets: ["BookingProtocol"]),
        .library(name: "BookingDomain", targets: ["BookingDomain"]),
        .library(name: "DaemonKit", targets: ["DaemonKit"]),
        .library(name: "SuiteCalendar", targets: ["SuiteCalendar"]),
        .library(name: "WebInput", targets: ["WebInput"]),
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
        // Hummingbird's own dependencies, named because webd's code uses their types directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // postgres-nio's TLS, named because PostgresStorage makes the client's TLS context.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // libzmq from Debian's libzmq3-dev; the modulemap links `zmq` directly because
        // `pkg-config libzmq` emits flags SwiftPM refuses.
        .systemLibrary(
            name: "CZeroMQ",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ", "CivilTime", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        // glibc's malloc.h, for the daemons' arena limit (mallopt); part of libc, nothing to install.
        .systemLibrary(name: "CMalloc"),
        // libcurl from Debian's libcurl4-openssl-dev: SMTP (STARTTLS, TLS, AUTH) and HTTP for
        // notifyd; shim.h wraps the variadic curl_easy_setopt, which Swift cannot call.
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libphonenumber from Debian's libphonenumber-dev (and ICU, which it uses, for zones'
        // countries): a C API over its C++ PhoneNumberUtil.
        .target(
            name: "CPhoneNumber",
            linkerSettings: [.linkedLibrary("phonenumber"), .linkedLibrary("icui18n"), .linkedLibrary("icuuc")]
        ),
        // Phone numbers by the world's numbering plans: parsing to E.164, examples, calling codes (pure).
        .target(name: "PhoneNumbers", dependencies: ["CPhoneNumber"]),
        // Civil dates, instants, ISO 8601 and durations: the one time module under everything.
        .target(name: "CivilTime"),
        .target(name: "BookingDomain", dependencies: ["CivilTime", "PhoneNumbers", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        .target(name: "BookingProtocol", dependencies: ["CivilTime"]),
        // The booking figures (funnel, rates, attendance, sources) of a period, pure: computed
        // from what bookingd's store holds, and written as JSON, CSV and a self-contained HTML page.
        .target(name: "BookingAnalytics", dependencies: ["BookingDomain", "BookingProtocol", "CivilTime", "HTMLEscaping"]),
        // The one HTML escaping of the pages the suite writes.
        .target(name: "HTMLEscaping"),
        // The deadline of the request being handled: what a commit and a call to another daemon must meet.
        .target(name: "Deadlines", dependencies: ["CivilTime"]),
        // iCalendar, pure: the one writer (the page's .ics file, notifyd's invites) and the reader of
        // consultants' own calendars, with recurrence expansion and busy time.
        .target(name: "ICalendar", dependencies: ["CivilTime"]),
        // A CalDAV client (RFC 4791, RFC 6578) over Delivery's HTTP transport: calsyncd's edge.
        .target(name: "CalDAV", dependencies: ["Delivery", "ICalendar"]),
        // The one way the daemons keep data in SQLite: opening, migrations, backups, the shared
        // tables' schema, and `SQLiteTransaction`, the seam's SQLite side over GRDB.
        .target(name: "SQLiteStorage", dependencies: ["Deadlines", "FieldEncryption", "SharedTables", "StoreSQL",
                                                      .product(name: "GRDB", package: "GRDB.swift")]),
        // The SQL the stores speak, whichever engine runs it (SQLite or PostgreSQL): values, rows,
        // a transaction and its failures, the one policy for an unreadable row, instants as
        // milliseconds, the stores' errors; no I/O of its own.
        .target(name: "StoreSQL", dependencies: ["CivilTime"]),
        // The tables every daemon's database has, whichever engine keeps it, over `SQLTransaction`:
        // the audit trail, the data keys (keyring, clients' keys) and a master key rotation.
        .target(name: "SharedTables", dependencies: ["StoreSQL", "FieldEncryption", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        // The one way the daemons keep data in PostgreSQL: connecting, a transaction run on a
        // thread that owns its connection, SQLSTATEs classed once, retries, migrations under a lock.
        .target(
            name: "PostgresStorage",
            dependencies: [
                "StoreSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Test kit: a real PostgreSQL 15 server (Debian's) in a temporary directory, on a Unix
        // socket, with a fresh database per test.
        .target(name: "PostgresTesting", dependencies: ["PostgresStorage", "StoreSQL", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        // Sealing personal data field by field (AES-256-GCM bound to its row), wrapping data
        // keys under a master key, blind indexes (pure apart from the system's random source).
        .target(name: "FieldEncryption", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "BookingStore",
            dependencies: [
                "BookingDomain",
                "BookingProtocol",
                "BookingAnalytics",
                "CivilTime",
                "SQLiteStorage",
                "SharedTables",
                "StoreSQL",
                "PostgresStorage",
                "Deadlines",
                "FieldEncryption",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .target(
            name: "AvailabilityStore",
            dependencies: ["SharedTables", "StoreSQL", "BookingDomain", "CivilTime", "SQLiteStorage", "PostgresStorage", "Deadlines",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "DaemonKit",
            dependencies: [
                "CivilTime",
                "SharedTables",
                "BookingProtocol",
                "ZeroMQ",
                "Deadlines",
                "CMalloc",
                "FieldEncryption",
                "SQLiteStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The `calendar:` section: the business's hours and zone, read by every daemon.
        .target(
            name: "SuiteCalendar",
            dependencies: ["DaemonKit", "BookingDomain", "CivilTime"]
        ),
        // notifyd's parts: what a message says (pure), how it travels (I/O), what was sent (SQLite).
        .target(
            name: "Notifications",
            dependencies: [
                "BookingDomain",
                "CivilTime",
                "BookingProtocol",
                "ICalendar",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Delivery",
            dependencies: ["CCurl", "ZeroMQ", "CivilTime", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Test kit: real SMTP and HTTP servers on loopback (Python scripts in Tests/Support).
        .target(name: "LoopbackServers"),
        // calsyncd's logic: consultants' own calendars read and their busy time handed to availabilityd.
        .target(
            name: "CalendarSync",
            dependencies: ["BookingDomain", "BookingProtocol", "CalDAV", "CalendarSyncStore", "CivilTime", "DaemonKit", "Deadlines", "Delivery", "ICalendar",
                           "SuiteCalendar", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           // RS256, for the JWT a Google service account signs.
                           .product(name: "CryptoExtras", package: "swift-crypto")]
        ),
        .executableTarget(name: "calsyncd", dependencies: ["CalendarSync", "DaemonKit"]),
        .target(
            name: "CalendarSyncStore",
            dependencies: ["SharedTables", "StoreSQL", "CivilTime", "SQLiteStorage", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(
            name: "NotificationStore",
            dependencies: ["SharedTables", "StoreSQL", "Notifications", "BookingProtocol", "SQLiteStorage", "PostgresStorage", "FieldEncryption",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // notifyd's logic as a library (tested in-process); the executable only wires it.
        .target(
            name: "NotificationService",
            dependencies: [
                "DaemonKit", "SuiteCalendar", "Notifications", "Delivery", "NotificationStore", "BookingDomain", "BookingProtocol",
                "CivilTime", "ZeroMQ", "PostgresStorage", "FieldEncryption",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "notifyd", dependencies: ["NotificationService", "DaemonKit"]),
        // What webd reads from a request's form or JSON body, decoded (pure: fuzzed without the HTTP server).
        .target(name: "WebInput", dependencies: ["BookingProtocol"]),
        // webd's parts: the page and JSON API as a library (tested in-process), and the daemon.
        .target(
            name: "WebFrontend",
            dependencies: [
                "DaemonKit", "SuiteCalendar", "BookingDomain", "BookingProtocol", "CivilTime", "ICalendar", "PhoneNumbers", "WebInput", "HTMLEscaping",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "webd",
            dependencies: ["WebFrontend", "DaemonKit"]
        ),
        // bookingd's and availabilityd's logic as libraries (tested in-process); the executables only wire them.
        .target(
            name: "BookingService",
            dependencies: [
                "StoreSQL", "DaemonKit", "SuiteCalendar", "BookingStore", "SQLiteStorage", "BookingDomain", "BookingProtocol", "BookingAnalytics", "CivilTime", "ZeroMQ",
                "PostgresStorage", "FieldEncryption",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "bookingd", dependencies: ["BookingService", "DaemonKit"]),
        .target(
            name: "AvailabilityService",
            dependencies: [
                "DaemonKit", "SuiteCalendar", "BookingDomain", "BookingProtocol", "CivilTime", "AvailabilityStore", "Deadlines", "PostgresStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "availabilityd", dependencies: ["AvailabilityService", "DaemonKit"]),
        // Test kit: a fault drill's recorded requests checked against the store's final state (pure).
        .target(name: "RequestHistory"),
        // Test kit: a seeded random generator, for the domain's tests and the fault drills.
        .target(name: "SeededRandom"),
        // Test kit: the daemons' libraries running in the test's own process.
        .target(
            name: "SuiteTesting",
            dependencies: [
                "AvailabilityService", "BookingService", "CalendarSync", "NotificationService", "DaemonKit", "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // bookctl's commands as a library: the bookctl program and the multi-call booking program run them.
        .target(
            name: "AdminCommands",
            dependencies: [
                "DaemonKit", "SuiteCalendar", "BookingService", "AvailabilityService", "CalendarSync", "NotificationService", "WebFrontend",
                "BookingDomain", "BookingProtocol", "BookingAnalytics", "CivilTime", "ZeroMQ", "SQLiteStorage", "FieldEncryption",
                "BookingStore", "PostgresStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "bookctl", dependencies: ["AdminCommands"]),
        // The installed suite: one executable that the five programs' names link to (script/install).
        .executableTarget(
            name: "booking",
            dependencies: ["AdminCommands", "BookingService", "AvailabilityService", "CalendarSync", "NotificationService", "WebFrontend", "DaemonKit"]
        ),
        .executableTarget(
            name: "bench",
            dependencies: [
                "DaemonKit", "BookingProtocol", "CivilTime", "ZeroMQ", "SeededRandom",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "CivilTimeTests", dependencies: ["CivilTime"]),
        .testTarget(name: "BookingAnalyticsTests", dependencies: ["BookingAnalytics", "BookingDomain", "BookingProtocol", "CivilTime", "HTMLEscaping"]),
        .testTarget(name: "AdminCommandsTests", dependencies: ["AdminCommands", "BookingProtocol", "DaemonKit", "ZeroMQ"]),
        .testTarget(name: "RequestHistoryTests", dependencies: ["RequestHistory"]),
        .testTarget(name: "DeadlinesTests", dependencies: ["Deadlines"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        // The phone table, checked against Python's phonenumbers (support/oracle.py) too.
        .testTarget(name: "PhoneNumbersTests", dependencies: ["PhoneNumbers"], exclude: ["support"]),
        .testTarget(name: "BookingDomainTests", dependencies: ["BookingDomain", "CivilTime", "PhoneNumbers", "SeededRandom", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "BookingProtocolTests", dependencies: ["BookingProtocol", "CivilTime"]),
        .testTarget(name: "ICalendarTests", dependencies: ["ICalendar", "CivilTime"]),
        .testTarget(name: "SQLiteStorageTests", dependencies: ["SharedTables", "StoreSQL", "SQLiteStorage", "FieldEncryption", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "StoreSQLTests", dependencies: ["StoreSQL"]),
        .testTarget(name: "PostgresStorageTests", dependencies: ["PostgresStorage", "PostgresTesting", "StoreSQL", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        .testTarget(name: "FieldEncryptionTests", dependencies: ["FieldEncryption", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "BookingStoreTests",
            dependencies: ["SharedTables", "StoreSQL", "BookingStore", "BookingDomain", "BookingProtocol", "SQLiteStorage", "Deadlines", "FieldEncryption", "SuiteTesting",
                           "PostgresStorage", "PostgresTesting",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(
            name: "AvailabilityStoreTests",
            dependencies: ["SharedTables", "StoreSQL", "AvailabilityStore", "BookingDomain", "CivilTime", "SQLiteStorage", "PostgresStorage", "PostgresTesting",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "DaemonKitTests",
            dependencies: [
                "SharedTables", "DaemonKit", "BookingProtocol", "BookingService", "ZeroMQ", "SuiteTesting", "CivilTime", "FieldEncryption", "SQLiteStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AvailabilityServiceTests",
            dependencies: ["AvailabilityService", "AvailabilityStore", "SuiteTesting", "SuiteCalendar", "DaemonKit", "BookingDomain", "BookingProtocol", "CivilTime",
                           "PostgresStorage", "PostgresTesting"]
        ),
        .testTarget(
            name: "BookingServiceTests",
            dependencies: ["SuiteTesting", "DaemonKit", "BookingProtocol", "BookingDomain", "BookingService", "BookingStore", "BookingAnalytics", "CivilTime", "ZeroMQ", "FieldEncryption",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "NotificationServiceTests",
            dependencies: ["SuiteTesting", "DaemonKit", "BookingProtocol", "BookingDomain", "CivilTime", "NotificationService", "Notifications",
                           "NotificationStore", "FieldEncryption", "Delivery", "LoopbackServers", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications", "BookingProtocol", "BookingDomain"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "CivilTime", "ZeroMQ", "LoopbackServers"]),
        .testTarget(name: "CalDAVTests", dependencies: ["CalDAV", "Delivery", "LoopbackServers"]),
        .testTarget(name: "CalendarSyncTests", dependencies: ["BookingProtocol", "CalDAV", "CalendarSync", "CalendarSyncStore", "CivilTime", "DaemonKit", "Delivery",
                                                              "LoopbackServers", "SuiteTesting", .product(name: "CryptoExtras", package: "swift-crypto")]),
        .testTarget(
            name: "NotificationStoreTests",
            dependencies: ["SharedTables", "StoreSQL", "NotificationStore", "Notifications", "BookingProtocol", "SQLiteStorage", "PostgresStorage", "PostgresTesting",
                           "SuiteTesting", "FieldEncryption",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "WebFrontendTests",
            dependencies: ["WebFrontend", "WebInput", "SuiteTesting", "BookingProtocol", "BookingDomain", "CivilTime", "DaemonKit", "ZeroMQ", "PhoneNumbers", "HTMLEscaping",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["BookingProtocol", "BookingDomain", "CivilTime", "ZeroMQ", "DaemonKit", "SuiteCalendar", "SuiteTesting", "WebFrontend", "LoopbackServers", "Delivery", "CalDAV", "RequestHistory", "SeededRandom", "FieldEncryption",
                           "PostgresTesting", "PostgresStorage",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["support", "browser"]
        ),
    ]
)
