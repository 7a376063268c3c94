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
        #expect(web.feedDetail == .minimal, "a feed shows nothing of the client unless the operator says so")
        #expect(web.feedURL(token: "team.1.ab") == "http://127.0.0.1:8080/feeds/team.1.ab.ics")
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
                slots: {capacity: 30, refill_per_minute: 60}
              proof_of_work: {difficulty: 1000, expiry_seconds: 60, no_script_bookings_per_hour: 0}
              min_fill_seconds: 5
              secret_file: keys/webd.key
              policy_url: https://example.com/privacy
              slots_cache_milliseconds: 0
              feeds: {detail: full}
            """)
        #expect(web.listenHost == "0.0.0.0")
        #expect(web.listenPort == 9000)
        #expect(web.publicURL == "https://booking.example.com")
        #expect(web.manageBase == "https://booking.example.com/manage/")
        #expect(web.ipLimit == .init(capacity: 3, refillPerMinute: 0.5))
        #expect(web.phoneLimit == .init(capacity: 7, refillPerMinute: 1))
        #expect(web.emailLimit == .init(capacity: 5, refillPerMinute: 1))
        #expect(web.slotLimit == .init(capacity: 30, refillPerMinute: 60))
        #expect(WebConfiguration(stateDirectory: "/tmp").slotLimit == .init(capacity: 60, refillPerMinute: 120))
        #expect(web.proofOfWorkDifficulty == 1000)
        #expect(web.proofOfWorkExpiry == .seconds(60))
        #expect(web.noScriptBookingsPerHour == 0)
        #expect(web.minFillSeconds == 5)
        #expect(web.secretFile == "/srv/booking/keys/webd.key")
        #expect(web.policyURL == "https://example.com/privacy")
        #expect(web.slotsCache == .zero)
        #expect(web.feedDetail == .full)
        #expect(web.feedURL(token: "anna.2.ab") == "https://booking.example.com/feeds/anna.2.ab.ics")
    }

    @Test(arguments: [
        ("web:\n  listen: localhost\n", "web.listen"),
        ("web:\n  listen: \"127.0.0.1:99999\"\n", "web.listen"),
        ("web:\n  public_url: \"ftp://x\"\n", "web.public_url"),
        ("web:\n  trusted_proxies: [\"10.0.0.0/33\"]\n", "web.trusted_proxies.0"),
        ("web:\n  rate_limits:\n    email: {capacity: 0}\n", "web.rate_limits.email.capacity"),
        ("web:\n  rate_limits:\n    ip: {refill_per_minute: -1}\n", "web.rate_limits.ip.refill_per_minute"),
        ("web:\n  rate_limits:\n    slots: {capacity: 0}\n", "web.rate_limits.slots.capacity"),
        ("web:\n  proof_of_work: {difficulty: 0}\n", "web.proof_of_work.difficulty"),
        ("web:\n  proof_of_work: {expiry_seconds: 5}\n", "web.proof_of_work.expiry_seconds"),
        ("web:\n  min_fill_seconds: 601\n", "web.min_fill_seconds"),
        ("web:\n  policy_files: {de: /etc/hosts}\n", "web.policy_files.de"),
        ("web:\n  policy_files: {ru: /nonexistent/policy.txt}\n", "web.policy_files.ru"),
        ("web:\n  time_zones: [Mars/Olympus]\n", "web.time_zones.0"),
        ("web:\n  slots_cache_milliseconds: 60001\n", "web.slots_cache_milliseconds"),
        ("web:\n  feeds: {detail: everything}\n", "web.feeds.detail"),
        ("web:\n  feeds: {details: full}\n", "web.feeds.details"),
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

    // MARK: Branding and embedding

    /// A directory with logo files of every kind the checks tell apart.
    static func logoDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "web-logos-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 24)
        try Data(png).write(to: URL(fileURLWithPath: directory + "/logo.png"))
        try Data("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8).write(to: URL(fileURLWithPath: directory + "/logo.svg"))
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: directory + "/text.png"))
        try Data("BM".utf8).write(to: URL(fileURLWithPath: directory + "/logo.bmp"))
        try Data(png + Array(repeating: 0, count: Branding.maximumLogoBytes)).write(to: URL(fileURLWithPath: directory + "/huge.png"))
        return directory
    }

    @Test func brandingKeysAreReadInOneOrBothLanguages() throws {
        let logos = try Self.logoDirectory()
        defer { try? FileManager.default.removeItem(atPath: logos) }
        let web = try load("""
            web:
              company_name: "ООО «Пример»"
              description: {ru: "Полчаса с юристом", en: "Half an hour with a lawyer"}
              footer: "ООО «Пример», ОГРН 1234567890123\\nМосква, ул. Примерная, 1"
              logo_file: \(logos)/logo.png
              accent_colour: "#1D4ED8"
              embed:
                allowed_origins: ["https://WWW.Example.com/", "http://localhost:8443", "https://shop.example.com:443"]
            """)
        let branding = web.branding
        #expect(branding.companyName(.en) == "ООО «Пример»" && branding.companyName(.ru) == "ООО «Пример»")
        #expect(branding.description(.ru) == "Полчаса с юристом")
        #expect(branding.description(.en) == "Half an hour with a lawyer")
        #expect(branding.footer(.en) == "ООО «Пример», ОГРН 1234567890123\nМосква, ул. Примерная, 1")
        #expect(branding.logo?.contentType == "image/png")
        #expect(branding.logo?.bytes.count == 32)
        #expect(branding.accentColour == "#1d4ed8")
        #expect(branding.stylesheet == ":root{--accent:#1d4ed8}\n")
        #expect(branding.embedOrigins == ["https://www.example.com", "http://localhost:8443", "https://shop.example.com"])
        let svg = try load("web:\n  logo_file: \(logos)/logo.svg\n")
        #expect(svg.branding.logo?.contentType == "image/svg+xml")
    }

    @Test func withoutBrandingThePageSaysWhatToEditAndWhere() throws {
        let branding = try load("state_directory: /var/lib/booking\n").branding
        #expect(branding.companyName(.en) == "Your company — edit web.company_name in /srv/booking/booking.yaml")
        #expect(branding.companyName(.ru) == "Ваша компания — укажите web.company_name в /srv/booking/booking.yaml")
        #expect(branding.description(.en).contains("edit web.description in /srv/booking/booking.yaml"))
        #expect(branding.footer(.ru).contains("укажите web.footer в /srv/booking/booking.yaml"))
        #expect(branding.logo == nil && branding.embedOrigins.isEmpty)
        #expect(branding.stylesheet == ":root{--accent:#0b5394}\n")
    }

    @Test(arguments: [
        ("accent_colour: \"#fff\"", "web.accent_colour", "#rrggbb"),
        ("accent_colour: \"blue\"", "web.accent_colour", "#rrggbb"),
        ("accent_colour: \"#ffcc00\"", "web.accent_colour", "contrast of 1.5:1"),
        ("logo_file: LOGOS/missing.png", "web.logo_file", "cannot read"),
        ("logo_file: LOGOS/logo.bmp", "web.logo_file", "gif, jpeg, jpg, png, svg, webp"),
        ("logo_file: LOGOS/text.png", "web.logo_file", "is not a .png file by its content"),
        ("logo_file: LOGOS/huge.png", "web.logo_file", "at most 262144"),
        ("company_name: \"  \"", "web.company_name", "is empty"),
        ("description: {de: Beratung}", "web.description.de", "one of ru, en"),
        ("embed: {allowed_origins: [\"https://example.com/booking\"]}", "web.embed.allowed_origins.0", "scheme, host and port only"),
        ("embed: {allowed_origins: [\"https://*.example.com\"]}", "web.embed.allowed_origins.0", "not an origin"),
        ("embed: {allowed_origins: [\"ftp://example.com\"]}", "web.embed.allowed_origins.0", "not an origin"),
    ])
    func aBadBrandingValueIsRefusedNamingItsKeyAndFile(line: String, key: String, problem: String) throws {
        let logos = try Self.logoDirectory()
        defer { try? FileManager.default.removeItem(atPath: logos) }
        do {
            _ = try load("web:\n  " + line.replacingOccurrences(of: "LOGOS", with: logos) + "\n")
            Issue.record("accepted: \(line)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
            #expect(error.file == "/srv/booking/booking.yaml")
        }
    }

    @Test func contrastIsMeasuredAsWCAGDoes() throws {
        #expect(try #require(Branding.contrast("#000000", "#ffffff")) == 21)
        #expect(abs(try #require(Branding.contrast("#0b5394", "#ffffff")) - 7.84) < 0.01, "the default accent")
        #expect(try #require(Branding.contrast("#767676", "#ffffff")) >= Branding.minimumContrast, "the lightest grey AA allows")
        #expect(try #require(Branding.contrast("#777777", "#ffffff")) < Branding.minimumContrast)
    }
}
