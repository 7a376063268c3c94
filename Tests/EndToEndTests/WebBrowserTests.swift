import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Testing

/// The booking page in a real browser: Debian's chromium, headless, driven by
/// `browser/book_flow.py` (python3-selenium and chromium-driver) against the real bookingd,
/// availabilityd and webd processes. The script asserts what the page shows; these tests
/// check what bookingd stored. Screenshots of every step go to `$BOOKING_TEST_ARTIFACTS`
/// (else a folder under the temporary directory, named in the test's output).
@Suite(.serialized) struct WebBrowserTests {
    static let script = SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/browser/book_flow.py"

    static var screenshots: String {
        let base = ProcessInfo.processInfo.environment["BOOKING_TEST_ARTIFACTS"] ?? (NSTemporaryDirectory() + "booking-test-artifacts")
        return base + "/web-screenshots"
    }

    /// A suite with webd on a free port; `body` gets its URL. `sections`: more top-level YAML.
    static func withWebSuite(consultants: [String], sections: String = "", web: String = "", _ body: (SuiteProcess, String) async throws -> Void) async throws {
        let port = try SuiteProcess.freePort()
        var options = SuiteProcess.Options()
        options.consultants = consultants
        options.extra = sections + """
            web:
              listen: "127.0.0.1:\(port)"
              min_fill_seconds: 1
            """ + (web.isEmpty ? "" : "\n" + web)
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        try await body(suite, "http://127.0.0.1:\(port)")
        #expect(!suite.log("webd").contains("error"), "\(suite.log("webd"))")
    }

    /// Runs the browser script; its last stdout line is a JSON object of what it saw.
    static func browse(_ url: String, _ arguments: [String]) async throws -> [String: Any] {
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        // At the lowest CPU and I/O priority (chromium inherits them): the browser is the heaviest
        // thing in a parallel `swift test`, and other suites' tests measure their daemons' timeliness.
        let command = ["-n", "19", "/usr/bin/ionice", "-c", "3", python, script, "--url", url, "--screenshots", screenshots] + arguments
        // On a thread of its own: waiting for the browser must not hold one of the few threads
        // the other suites' async tests share.
        let run = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SuiteProcess.Run, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try SuiteProcess.run("/usr/bin/nice", command) })
            }
        }
        print("web screenshots: \(screenshots)")
        guard run.status == 0 else {
            throw SuiteFailure("book_flow.py \(arguments) exited \(run.status):\n\(run.stderr.suffix(4000))")
        }
        let line = run.stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    static func show(_ suite: SuiteProcess, _ reference: String) throws -> [String: Any] {
        try #require(try suite.bookctlJSON(["show", reference]) as? [String: Any])
    }

    /// The company's name, description, logo, colour and legal details, as an operator sets them
    /// (the logo written to `logo`).
    static func branding(logo: String) throws -> String {
        try Data("""
            <svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40"><rect width="40" height="40" rx="8" fill="#1f6f43"/>\
            <path d="M10 20h20M20 10v20" stroke="#fff" stroke-width="5"/><text x="48" y="27" font-family="sans-serif" font-size="16" fill="#1f6f43">Primer</text></svg>
            """.utf8).write(to: URL(fileURLWithPath: logo))
        return """
              company_name: {ru: "ООО «Пример»", en: "Primer LLC"}
              description: {ru: "30 минут с юристом: договор, спор, регистрация.", en: "30 minutes with a lawyer: a contract, a dispute, a registration."}
              footer: {ru: "ООО «Пример», ОГРН 1027700000000, ИНН 7700000000\\nМосква, ул. Примерная, д. 1", en: "Primer LLC, reg. no. 1027700000000\\n1 Primernaya St, Moscow"}
              logo_file: \(logo)
              accent_colour: "#1f6f43"
            """
    }

    @Test func bookOnAPhoneAndADesktopThenRescheduleAndCancelAndWithoutJavaScript() async throws {
        let logo = NSTemporaryDirectory() + "booking-logo-\(UUID().uuidString.prefix(8)).svg"
        defer { try? FileManager.default.removeItem(atPath: logo) }
        // A room per booking, so the confirmation shows how the meeting happens.
        let meeting = "meeting: {format: video, link: \"https://meet.example.com/{reference}\"}\n"
        try await Self.withWebSuite(consultants: ["anna", "boris"], sections: meeting, web: try Self.branding(logo: logo)) { suite, url in
            let seen = try await Self.browse(url, ["--scenario", "phone", "--scenario", "desktop", "--scenario", "noscript"])

            let phone = try #require(seen["phone"] as? [String: Any])
            let phoneBooking = try Self.show(suite, try #require(phone["reference"] as? String))
            #expect(phoneBooking["timeZone"] as? String == "America/New_York", "the browser's zone, detected by the script")
            #expect(phoneBooking["locale"] as? String == "en")
            #expect(phoneBooking["status"] as? String == "confirmed")
            #expect((phoneBooking["contact"] as? [String: Any])?["phone"] as? String == "+12125550100")
            let room = (phoneBooking["meeting"] as? [String: Any])?["link"] as? String
            #expect(room == "https://meet.example.com/\(phone["reference"] as? String ?? "")", "\(phoneBooking)")
            // What the page showed is the stored instant in New York: the phone picks the second
            // day with free times (the clock starts 2026-12-01 07:58 MSK), whose first slot is
            // 09:00 MSK = 01:00 in New York.
            #expect(phone["local"] as? String == "01:00")
            #expect(ISO8601.parseInstant(phoneBooking["start"] as? String ?? "") == ISO8601.parseInstant(phone["start"] as? String ?? "x"))

            let desktop = try #require(seen["desktop"] as? [String: Any])
            let desktopBooking = try Self.show(suite, try #require(desktop["reference"] as? String))
            #expect(desktopBooking["timeZone"] as? String == "Asia/Tokyo")
            #expect(desktopBooking["locale"] as? String == "ru")
            #expect(desktopBooking["status"] as? String == "cancelled")
            #expect((desktopBooking["contact"] as? [String: Any])?["phone"] as? String == "+79161234567", "the trunk 8 dropped after +7")
            #expect(ISO8601.parseInstant(desktopBooking["start"] as? String ?? "") == ISO8601.parseInstant(desktop["new_start"] as? String ?? "x"), "rescheduled, then cancelled")
            let history = try #require(try suite.bookctlJSON(["history", desktop["reference"] as? String ?? ""]) as? [String: Any])
            let entries = try #require(history["entries"] as? [[String: Any]])
            #expect(entries.map { $0["kind"] as? String } == ["created", "rescheduled", "cancelled"])
            #expect(entries.last?["reason"] as? String == "Планы изменились")
            #expect(entries.allSatisfy { $0["actor"] as? String == "client" })

            let noscript = try #require(seen["noscript"] as? [String: Any])
            let noscriptBooking = try Self.show(suite, try #require(noscript["reference"] as? String))
            #expect(noscriptBooking["timeZone"] as? String == "Asia/Tokyo", "chosen in the selector, without the script")
            #expect(noscriptBooking["status"] as? String == "cancelled", "cancelled on the second page, without the script")

            // The reference is a secret: webd's log shows it masked only.
            for reference in [phone["reference"], desktop["reference"], noscript["reference"]].compactMap({ $0 as? String }) {
                #expect(!suite.log("webd").contains(reference))
            }
        }
    }

    @Test func aLondonPhoneStartsAtTheUKAndANationalNumberIsStoredInE164() async throws {
        try await Self.withWebSuite(consultants: ["anna"]) { suite, url in
            let seen = try await Self.browse(url, ["--scenario", "country"])
            let country = try #require(seen["country"] as? [String: Any])
            let booking = try Self.show(suite, try #require(country["reference"] as? String))
            #expect((booking["contact"] as? [String: Any])?["phone"] as? String == "+447400123456", "the trunk 0 dropped, +44 added")
            #expect(booking["timeZone"] as? String == "Europe/London")
            #expect((try suite.bookctlJSON(["list"]) as? [[String: Any]])?.count == 1, "the refused number booked nothing")
        }
    }

    @Test func twoBrowsersRaceForTheLastSlotAndTheLoserIsOfferedFreshOnes() async throws {
        try await Self.withWebSuite(consultants: ["solo"]) { suite, url in
            let slots = try #require(try suite.bookctlJSON(["slots"]) as? [[String: Any]])
            let contested = try #require(slots.dropFirst(3).first?["start"] as? String)
            let start = ISO8601.instant(try #require(ISO8601.parseInstant(contested)))
            let seen = try await Self.browse(url, ["--scenario", "race", "--race-start", start])
            let race = try #require(seen["race"] as? [String: Any])
            let winner = try Self.show(suite, try #require(race["winner"] as? String))
            #expect(ISO8601.parseInstant(winner["start"] as? String ?? "") == ISO8601.parseInstant(start))
            #expect((winner["contact"] as? [String: Any])?["name"] as? String == "Racer 1")
            let second = try Self.show(suite, try #require(race["second"] as? String))
            #expect((second["contact"] as? [String: Any])?["name"] as? String == "Racer 2")
            #expect(ISO8601.parseInstant(second["start"] as? String ?? "") != ISO8601.parseInstant(start), "the loser booked a fresh slot")
            let listed = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
            #expect(listed.count == 2)

            // webd's control socket: reload and metrics, as bookctl asks them.
            let control = try await suite.client("webd")
            let reloaded: ReloadReply = try await control.call(MessageType.reload, Empty())
            #expect(reloaded.daemon == "webd")
            let metrics: MetricsReply = try await control.call(MessageType.metrics, Empty())
            #expect(metrics.exposition.contains("webd_bookings_total 2"), "\(metrics.exposition)")
            await control.close()
        }
    }

    @Test func aListedSiteEmbedsThePageWhichGrowsToItsContentAndAnotherSiteIsRefused() async throws {
        let listed = try SuiteProcess.freePort()
        let unlisted = try SuiteProcess.freePort()
        let web = """
              company_name: "Example Ltd"
              footer: "Example Ltd, 1 Example Street, London"
              embed:
                allowed_origins: ["http://127.0.0.1:\(listed)"]
            """
        try await Self.withWebSuite(consultants: ["anna"], web: web) { _, url in
            let seen = try await Self.browse(url, ["--scenario", "embed", "--listed-port", "\(listed)", "--unlisted-port", "\(unlisted)"])
            let embed = try #require(seen["embed"] as? [String: Any])
            let frame = try #require(embed["frame_height"] as? Double)
            let page = try #require(embed["page_height"] as? Double)
            #expect(abs(frame - page) <= 1, "the frame is as tall as the page in it")
            let refused = try #require(embed["refused"] as? String)
            #expect(refused.contains("frame-ancestors http://127.0.0.1:\(listed)"), "\(refused)")
        }
    }
}

