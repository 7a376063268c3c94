// swift-tools-version:6.1
import Foundation
import PackageDescription

// libFuzzer targets for the suite's parsers, built apart from the suite so that only the modules
// they drive are compiled with the fuzzer's instrumentation (script/test-fuzz):
//   swift build --package-path Fuzz --sanitize=fuzzer --sanitize=address
// libFuzzer supplies `main`, so each target is parsed as a library and exports
// `LLVMFuzzerTestOneInput` with @_cdecl.

// A path dependency's identity is its folder's name, which is the clone's name, not fixed.
let suite = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: suite) },
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "booking-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        fuzzer("FuzzEnvelope", ["BookingProtocol"]),
        fuzzer("FuzzWireBodies", ["BookingProtocol"]),
        fuzzer("FuzzConfiguration", ["DaemonKit", "SuiteCalendar", "BookingDomain"]),
        fuzzer("FuzzWebInput", ["WebInput", "BookingProtocol", "BookingDomain"]),
    ]
)
