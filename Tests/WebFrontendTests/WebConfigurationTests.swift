import DaemonKit
import Foundation
import Testing
@testable import WebFrontend

@Suite struct WebConfigurationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let calendarFile = root.appendingPathComponent("config/production-calendar.yaml").path
    let minimal = "calendar:\n  production_calendar: \(calendarFile)\nconsultants:\n  - {id: anna, name: Anna}\n"

    func load(_ web: String) throws(ConfigurationError) -> WebConfiguration {
        try WebConfiguration.load(from: try SuiteConfiguration.parse(minimal + web, file: "/srv/booking/booking.yaml"))
    }

    @Test func theShippedFilesAreValid() throws {
        for name in ["booking.yaml", "bench.yaml"] {
            let suite = try SuiteConfiguration.load(path: Self.root.appendingPathComponent("config/\(name)").path)
            let web = try WebConfiguration.load(from: suite)
            #expect(web.manageBase.hasSuffix("/manage/"))
        }
        let development = try WebConfiguration.load(from: try SuiteConfiguration.load(path: Self.root.appendingPathComponent("config/booking.yaml").path))
        #expect(development.listenPort == 8080)
        #expect(development.policyFiles.keys.sorted() == ["en", "ru"])
        #expect(development.trustedProxies.count == 2)
    }

    @Test func withoutTheSectionEveryDefaultHolds() throws {
        let web = try load("state_directory: /var/lib/booking\n")
        #expect(web.listenHost == "127.0.0.1")
        #expect(web.listenPort == 8080)
        #expect(web.publicURL == "http://127.0.0.1:8080")
        #expect(web.secretFile == "/var/lib/booking/webd.secret")
        #expect(web.trustedProxies.isEmpty)
    }

    @Test func keysAreReadAndPathsResolvedAgainstTheFile() throws {
        let web = try load("""
            web:
              listen: "0.0.0.0:9000"
              public_url: "https://booking.example.com/"
              trusted_proxies: ["10.0.0.0/8", "::1"]
              rate_limits:
                ip: {capacity: 3, refill_per_minute: 0.5}
                phone: {capacity: 7}
              proof_of_work: {difficulty: 1000, expiry_seconds: 60, no_script_bookings_per_hour: 0}
              min_fill_seconds: 5
              secret_file: keys/webd.key
              policy_url: https://example.com/privacy
              slots_cache_milliseconds: 0
            """)
        #expect(web.listenHost == "0.0.0.0")
        #expect(web.listenPort == 9000)
        #expect(web.publicURL == "https://booking.example.com")
        #expect(web.manageBase == "https://booking.example.com/manage/")
        #expect(web.ipLimit == .init(capacity: 3, refillPerMinute: 0.5))
        #expect(web.phoneLimit == .init(capacity: 7, refillPerMinute: 1))
        #expect(web.emailLimit == .init(capacity: 5, refillPerMinute: 1))
        #expect(web.proofOfWorkDifficulty == 1000)
        #expect(web.proofOfWorkExpiry == .seconds(60))
        #expect(web.noScriptBookingsPerHour == 0)
        #expect(web.minFillSeconds == 5)
        #expect(web.secretFile == "/srv/booking/keys/webd.key")
        #expect(web.policyURL == "https://example.com/privacy")
        #expect(web.slotsCache == .zero)
    }

    @Test(arguments: [
        ("web:\n  listen: localhost\n", "web.listen"),
        ("web:\n  listen: \"127.0.0.1:99999\"\n", "web.listen"),
        ("web:\n  public_url: \"ftp://x\"\n", "web.public_url"),
        ("web:\n  trusted_proxies: [\"10.0.0.0/33\"]\n", "web.trusted_proxies.0"),
        ("web:\n  rate_limits:\n    email: {capacity: 0}\n", "web.rate_limits.email.capacity"),
        ("web:\n  rate_limits:\n    ip: {refill_per_minute: -1}\n", "web.rate_limits.ip.refill_per_minute"),
        ("web:\n  proof_of_work: {difficulty: 0}\n", "web.proof_of_work.difficulty"),
        ("web:\n  proof_of_work: {expiry_seconds: 5}\n", "web.proof_of_work.expiry_seconds"),
        ("web:\n  min_fill_seconds: 601\n", "web.min_fill_seconds"),
        ("web:\n  policy_files: {de: /etc/hosts}\n", "web.policy_files.de"),
        ("web:\n  policy_files: {ru: /nonexistent/policy.txt}\n", "web.policy_files.ru"),
        ("web:\n  time_zones: [Mars/Olympus]\n", "web.time_zones.0"),
        ("web:\n  slots_cache_milliseconds: 60001\n", "web.slots_cache_milliseconds"),
    ])
    func aBadValueIsRefusedNamingItsKey(yaml: String, key: String) {
        do {
            _ = try load(yaml)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.file == "/srv/booking/booking.yaml")
        }
    }

    @Test(arguments: ["2", "two", "{}"])
    func theLimitOfFutureBookingsIsRefusedHereNamingWhereItWent(value: String) {
        do {
            _ = try load("web:\n  max_future_bookings_per_contact: \(value)\n")
            Issue.record("accepted")
        } catch {
            #expect(error.key == "web.max_future_bookings_per_contact")
            #expect(error.problem.contains("bookings.max_future_bookings_per_contact"))
            #expect(!error.description.contains("\n"), "one line")
        }
    }
}
