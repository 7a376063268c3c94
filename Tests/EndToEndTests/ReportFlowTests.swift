import BookingProtocol
import CivilTime
import Foundation
import Testing

/// A scripted history through the real daemons, on a clock moved between its acts: visits of
/// the booking page, abandoned forms, bookings, reschedules, cancellations and marks. Then
/// `bookctl report` is checked figure by figure against numbers worked out by hand below.
@Suite(.serialized) struct ReportFlowTests {
    static func at(_ text: String) -> Date { ISO8601.parseInstant(text)! }

    @Test func theReportAgreesWithAHistoryCountedByHand() async throws {
        var options = SuiteProcess.Options()
        options.extra = "web:\n  min_fill_seconds: 0\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        let bookingd = try await suite.client("bookingd")

        // Tuesday 2026-12-01, 07:58 in Moscow. Five visits of the booking page through webd (a
        // browser without JavaScript: curl with its own cookie jar): two book, from a campaign's
        // link and from another site; one leaves its form; two leave at the slot list.
        func browser(_ name: String) -> DataRequestFlowTests.Browser { DataRequestFlowTests.Browser(jar: suite.directory + "/\(name).cookies") }
        func landing(_ browser: DataRequestFlowTests.Browser, query: String = "", referer: String? = nil) throws -> (token: String, start: String) {
            var arguments = ["-s", "-c", browser.jar, "-b", browser.jar]
            if let referer { arguments += ["-H", "Referer: \(referer)"] }
            let page = try SuiteProcess.run("/usr/bin/curl", arguments + [suite.webURL + "/?lang=en" + query])
            let token = try #require(WebFunnelFlowTests.value(after: "<meta name=\"visit\" content=\"", in: page.stdout), "\(page.stdout.prefix(300))")
            let start = try #require(WebFunnelFlowTests.value(after: "data-start=\"", in: page.stdout))
            return (token, start)
        }
        func form(_ browser: DataRequestFlowTests.Browser, _ visit: (token: String, start: String)) throws -> DataRequestFlowTests.Browser.Page {
            let page = try browser.open(suite.webURL + "/book?lang=en&start=\(visit.start)&visit=\(visit.token)")
            #expect(page.status == 200, "\(page.body.prefix(300))")
            return page
        }
        func send(_ browser: DataRequestFlowTests.Browser, _ form: DataRequestFlowTests.Browser.Page, _ n: Int) throws -> (reference: String, start: Date?) {
            let sent = try browser.open(suite.webURL + "/book", form: try DataRequestFlowTests.Browser.fields(form, ["form_token", "visit", "start", "tz", "lang"]) + [
                ("name", "Client \(n)"), ("email", "client\(n)@example.com"), ("country", "RU"), ("phone", "916 000-00-0\(n)"), ("consent", "yes"), ("pow", ""),
            ])
            let reference = try #require(WebFunnelFlowTests.value(after: "id=\"reference\">", in: sent.body), "\(sent.body.prefix(500))")
            let shown = try #require(try suite.bookctlJSON(["show", reference]) as? [String: Any])
            return (reference, (shown["start"] as? String).flatMap(ISO8601.parseInstant))
        }
        func book(_ start: String, _ n: Int, actor: String? = nil) async throws -> AppointmentBody {
            try await bookingd.call(MessageType.book, BookRequest(start: Self.at(start), contact: contact(n), actor: actor))
        }
        let first = browser("first"), second = browser("second")
        let campaign = try landing(first, query: "&utm_source=yandex&utm_medium=cpc&utm_campaign=winter")
        let b1 = try send(first, try form(first, campaign), 1)
        let linked = try landing(second, referer: "https://vc.ru/marketing/123-consultations?utm=x")
        let b2 = try send(second, try form(second, linked), 2)
        #expect(b1.start == Self.at("2026-12-01T10:00:00+03:00") && b2.start == b1.start, "both took the first slot: \(b1.start), \(b2.start)")
        let leaving = browser("third")
        _ = try form(leaving, try landing(leaving))
        for name in ["fourth", "fifth"] { _ = try landing(browser(name)) }
        // webd tells bookingd of the steps off the request path: wait for the last ones.
        for _ in 0..<50 {
            let report = try suite.bookctlJSON(["report", "--from", "2026-12-01", "--to", "2026-12-01"]) as? [String: Any]
            if (report?["funnel"] as? [String: Int])?["chose"] == 3 && (report?["funnel"] as? [String: Int])?["viewed"] == 5 { break }
            try await Task.sleep(for: .milliseconds(100))
        }

        let b3 = try await book("2026-12-01T11:00:00+03:00", 3)
        let b4 = try await book("2026-12-02T10:00:00+03:00", 4)
        let b5 = try await book("2026-12-02T11:00:00+03:00", 5)
        let b6 = try await book("2026-12-03T10:00:00+03:00", 6)
        let b7 = try await book("2026-12-03T11:00:00+03:00", 7, actor: "admin")
        _ = try await book("2026-12-02T12:00:00+03:00", 8)
        // Two bookings move (one of them twice), two are cancelled: by the client and by an admin.
        let _: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(reference: b4.reference, start: Self.at("2026-12-02T14:00:00+03:00")))
        let _: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(reference: b5.reference, start: Self.at("2026-12-03T12:00:00+03:00")))
        let _: AppointmentBody = try await bookingd.call(MessageType.reschedule,
                                                         RescheduleRequest(reference: b5.reference, start: Self.at("2026-12-03T13:00:00+03:00"), actor: "admin"))
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: b6.reference))
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: b7.reference, actor: "admin"))

        // Nobody can mark a consultation before it starts.
        let early = try suite.bookctl(["attended", b1.reference])
        #expect(early.status == 1 && early.stderr.contains("cannot be marked attended before then"), "\(early.stderr)")
        await bookingd.close()

        // Friday 2026-12-04, 12:00: the consultations of Tuesday to Thursday have taken place.
        suite.stop()
        try suite.editConfiguration { $0.replacingOccurrences(of: "2026-12-01T07:58:00+03:00", with: "2026-12-04T12:00:00+03:00") }
        try await suite.start()
        for (reference, command) in [(b1.reference, "attended"), (b2.reference, "no-show"), (b3.reference, "attended"), (b4.reference, "attended")] {
            let marked = try suite.bookctl([command, reference, "--note", "marked in the test"])
            #expect(marked.status == 0, "\(command) \(reference): \(marked.stderr)")
        }
        // b4 was wrongly marked attended: the correction counts, both stay in its history.
        #expect(try suite.bookctl(["no-show", b4.reference]).status == 0)
        let history = try suite.bookctl(["history", b4.reference])
        #expect(history.stdout.contains("attended") && history.stdout.contains("no_show"), "\(history.stdout)")
        // b5 ended 22.5 hours ago (pending: a mark may still come), b8 47.5 hours ago (unmarked).

        let directory = suite.directory
        let report = try #require(try suite.bookctlJSON(["report", "--from", "2026-12-01", "--to", "2026-12-04",
                                                         "--csv", directory + "/report.csv", "--html", directory + "/report.html"]) as? [String: Any])
        let counts = try #require(report["counts"] as? [String: Int])
        let expected: [String: Int] = [
            "made": 8, "rescheduled": 2, "moves": 3, "cancelled": 2, "cancelled_by_client": 1, "cancelled_by_admin": 1, "cancelled_by_system": 0,
            "held": 6, "attended": 2, "no_show": 2, "unmarked": 1, "pending": 1,
        ]
        #expect(counts == expected)
        let funnel = try #require(report["funnel"] as? [String: Int])
        #expect(funnel == ["viewed": 5, "slots": 5, "chose": 3, "sent": 2, "booked": 2])
        let figures = Dictionary(uniqueKeysWithValues: try #require(report["figures"] as? [[String: Any]]).map { ($0["key"] as? String ?? "", $0) })
        func figure(_ key: String) -> (value: Double?, verdict: String?) {
            (figures[key]?["value"] as? Double, figures[key]?["verdict"] as? String)
        }
        // Rates, by hand: completion 2 booked of the 3 who chose a slot; conversion 2 of 5 visits;
        // cancellation 2 of 8 made; rescheduling 2 of 8; attendance 2 of 4 marked; no-show 2 of 4.
        #expect(figure("completion_rate").value.map { abs($0 - 2.0 / 3) < 1e-9 } == true && figure("completion_rate").verdict == "not_met")
        #expect(figure("conversion_rate").value == 0.4 && figure("conversion_rate").verdict == "met")
        #expect(figure("cancellation_rate").value == 0.25 && figure("cancellation_rate").verdict == "not_met")
        #expect(figure("rescheduling_rate").value == 0.25 && figure("rescheduling_rate").verdict == "not_met")
        #expect(figure("attendance_rate").value == 0.5 && figure("attendance_rate").verdict == "not_met")
        #expect(figure("no_show_rate").value == 0.5)
        // Booking time: the two booking visits went from first view to reference within this test.
        let average = try #require(figure("average_booking_time").value)
        #expect(average >= 0 && average < 60 && figure("average_booking_time").verdict == "met")
        let bookingTime = try #require(report["booking_time"] as? [String: Any])
        #expect(bookingTime["count"] as? Int == 2)
        // Lead time: each booking was made at about 07:58 on Tuesday for the slot first chosen.
        let leadTime = try #require(report["lead_time"] as? [String: Any])
        let hours = [2.0, 2.0, 3.0, 26.0, 27.0, 50.0, 51.0, 28.0].map { $0 * 3600 + 120 }
        let averageLead = try #require(leadTime["average_seconds"] as? Double)
        #expect(abs(averageLead - hours.reduce(0, +) / 8) < 60, "\(averageLead)")

        // By weekday and hour (Moscow): all eight were booked on Tuesday before 08:00; the six held
        // are Tuesday's three (10:00, 10:00, 11:00), Wednesday's two (12:00, and 14:00 after its
        // move) and Thursday's one (13:00 after two moves).
        let weekdays = try #require(report["weekdays"] as? [[String: Any]])
        let byWeekday = Dictionary(uniqueKeysWithValues: weekdays.map { ($0["weekday"] as? Int ?? 0, ($0["bookings"] as? Int ?? -1, $0["consultations"] as? Int ?? -1)) })
        #expect(byWeekday[2]! == (8, 3) && byWeekday[3]! == (0, 2) && byWeekday[4]! == (0, 1), "\(weekdays)")
        #expect([1, 5, 6, 7].allSatisfy { byWeekday[$0].map { $0 == (0, 0) } ?? true }, "\(weekdays)")
        let hourRows = try #require(report["hours"] as? [[String: Any]])
        let byHour = Dictionary(uniqueKeysWithValues: hourRows.map { ($0["hour"] as? Int ?? -1, ($0["bookings"] as? Int ?? -1, $0["consultations"] as? Int ?? -1)) })
        #expect(byHour[7].map { $0 == (8, 0) } == true, "\(hourRows)")
        for (hour, held) in [10: 2, 11: 1, 12: 1, 13: 1, 14: 1] {
            #expect(byHour[hour].map { $0 == (0, held) } == true, "\(hour):00 \(hourRows)")
        }

        let consultants = try #require(report["consultants"] as? [[String: Any]])
        #expect(consultants.reduce(0) { $0 + ($1["made"] as? Int ?? 0) } == 8)
        let sources = try #require(report["sources"] as? [[String: Any]])
        #expect(sources.contains { $0["utm_source"] as? String == "yandex" && $0["utm_campaign"] as? String == "winter" && $0["made"] as? Int == 1 })
        #expect(sources.contains { $0["referrer"] as? String == "vc.ru" && $0["made"] as? Int == 1 })

        let csv = try String(contentsOfFile: directory + "/report.csv", encoding: .utf8)
        #expect(csv.contains("\r\ncancellation_rate,0.25,ratio,2,8,"), "\(csv.prefix(800))")
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg") && !html.contains("src=\"http") && !html.contains("href=\"http"))

        let text = try suite.bookctl(["report", "--from", "2026-12-01", "--to", "2026-12-04"])
        #expect(text.status == 0 && text.stdout.contains("Cancellation rate"), "\(text.stdout)\(text.stderr)")

        // The same rates reach Prometheus: bookingd computes the last 30 days' at its start
        // (no mark had been made then) and every 5 minutes after.
        let metrics = try suite.bookctl(["metrics", "--raw"])
        #expect(metrics.stdout.contains("booking_rate{rate=\"cancellation\"} 0.25"), "\(metrics.stdout.prefix(3000))")
        #expect(metrics.stdout.contains("booking_rate_target{rate=\"cancellation\"} 0.1"))
    }
}
