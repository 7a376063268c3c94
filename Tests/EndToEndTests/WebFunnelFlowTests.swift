import Foundation
import Testing

/// The booking funnel through the real daemons: a browser without JavaScript (curl with a cookie
/// jar) visits the page as two people do, one from a newsletter who books and one who leaves at
/// the slot list; `bookctl report` then counts their visits and where the booking came from.
@Suite(.serialized) struct WebFunnelFlowTests {
    static func value(after marker: String, in page: String) -> String? {
        page.components(separatedBy: marker).dropFirst().first.map { String($0.prefix { $0 != "\"" && $0 != "<" }) }
    }

    @Test func visitsAreCountedFromTheFirstPageToTheBookingWithTheirSource() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let browser = DataRequestFlowTests.Browser(jar: suite.directory + "/cookies")

        // The newsletter's link, opened from the mail service's web page.
        let landing = try SuiteProcess.run("/usr/bin/curl", [
            "-s", "-c", browser.jar, "-b", browser.jar, "-H", "Referer: https://mail.example.net/inbox/42?from=ann@example.com",
            suite.webURL + "/?lang=en&utm_source=newsletter&utm_medium=email&utm_campaign=december",
        ])
        let token = try #require(Self.value(after: "<meta name=\"visit\" content=\"", in: landing.stdout), "\(landing.stdout.prefix(300))")
        let start = try #require(Self.value(after: "data-start=\"", in: landing.stdout))
        let cookies = try String(contentsOfFile: browser.jar, encoding: .utf8)
        #expect(!cookies.contains(token.prefix(32)), "the visit is in no cookie")

        // Someone else looks at the times and leaves.
        let passerby = try browser.open(suite.webURL + "/?lang=en")
        #expect(passerby.status == 200 && Self.value(after: "<meta name=\"visit\" content=\"", in: passerby.body) != token)

        let form = try browser.open(suite.webURL + "/book?lang=en&start=\(start)&visit=\(token)")
        #expect(form.status == 200 && form.body.contains("name=\"visit\" value=\"\(token)\""))
        // The form's minimum time to fill in (web.min_fill_seconds, 3 by default).
        try await Task.sleep(for: .seconds(3.2))
        let booked = try browser.open(suite.webURL + "/book", form: try DataRequestFlowTests.Browser.fields(form, ["form_token", "visit", "start", "tz", "lang"]) + [
            ("name", "Ann Lee"), ("email", "ann.lee@example.com"), ("country", "US"), ("phone", "212 555 0142"), ("consent", "yes"), ("pow", ""),
        ])
        #expect(booked.status == 200, "\(booked.body.prefix(500))")
        let reference = try #require(Self.value(after: "id=\"reference\">", in: booked.body))

        // The steps reach bookingd off the request path: the report counts them shortly.
        var report: [String: Any] = [:]
        for _ in 0..<50 {
            report = try #require(try suite.bookctlJSON(["report", "--from", "2026-12-01", "--to", "2026-12-01"]) as? [String: Any])
            if (report["funnel"] as? [String: Int])?["booked"] == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let funnel = try #require(report["funnel"] as? [String: Int])
        #expect(funnel["viewed"] == 2 && funnel["slots"] == 2 && funnel["chose"] == 1 && funnel["sent"] == 1 && funnel["booked"] == 1, "\(funnel)")
        let sources = try #require(report["sources"] as? [[String: Any]])
        #expect(sources.contains {
            $0["utm_source"] as? String == "newsletter" && $0["utm_medium"] as? String == "email" && $0["utm_campaign"] as? String == "december"
                && $0["referrer"] as? String == "mail.example.net" && $0["made"] as? Int == 1
        }, "\(sources)")
        let shown = try suite.bookctl(["show", reference])
        #expect(shown.status == 0, "\(shown.stderr)")
    }
}
