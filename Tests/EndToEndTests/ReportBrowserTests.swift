import BookingProtocol
import CivilTime
import Foundation
import Testing

/// The HTML report in a real browser: two weeks of bookings through the real daemons, with visits,
/// moves, cancellations and marks, written by `bookctl report --html` and opened in Debian's
/// chromium by `browser/report_view.py`. Run with the browser tests (`--filter WebBrowserTests`).
extension WebBrowserTests {
    static let reportScript = SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/browser/report_view.py"

    /// Nine working days from Tuesday 2026-12-01: five bookings a day, each from a visit of the
    /// page, and visits that stop earlier; every fifth booking moves, every seventh is cancelled by
    /// its client, every eleventh by an admin.
    static func twoWeeksOfBookings(_ suite: SuiteProcess) async throws -> [String] {
        let bookingd = try await suite.client("bookingd")
        defer { Task { await bookingd.close() } }
        let days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]
        let times = ["10:00", "11:00", "12:30", "14:00", "15:30"]
        let sources = [LeadSourceBody(utmSource: "yandex", utmMedium: "cpc", utmCampaign: "winter"), LeadSourceBody(referrer: "vc.ru"),
                       LeadSourceBody(utmSource: "telegram", utmMedium: "social"), nil]
        var references: [String] = []
        var n = 0
        for day in days {
            for time in times {
                n += 1
                let visit = "visit-\(String(format: "%04d", n))"
                for step in [VisitStep.viewed, .slots, .chose, .sent] {
                    let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: visit, step: step))
                }
                let booked: AppointmentBody = try await bookingd.call(
                    MessageType.book, BookRequest(start: ISO8601.parseInstant("\(day)T\(time):00+03:00")!, contact: contact(n), source: sources[n % 4]))
                let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: visit, step: .booked, reference: booked.reference))
                references.append(booked.reference)
                let stops: [VisitStep] = n % 3 == 0 ? [.viewed, .slots, .chose] : n % 2 == 0 ? [.viewed, .slots] : [.viewed]
                for step in stops {
                    let _: Empty = try await bookingd.call(MessageType.visitStep, VisitStepRequest(visit: "left-\(visit)", step: step))
                }
                if n % 5 == 0 {
                    let later = ISO8601.parseInstant("\(day)T\(time):00+03:00")!.addingTimeInterval(5400)
                    let _: AppointmentBody? = try? await bookingd.call(MessageType.reschedule, RescheduleRequest(reference: booked.reference, start: later))
                }
                if n % 7 == 0 {
                    let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference))
                } else if n % 11 == 0 {
                    let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference, actor: "admin"))
                }
            }
        }
        return references
    }

    @Test func theReportReadsWellInABrowserAndPrintsOnA4() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        let references = try await Self.twoWeeksOfBookings(suite)

        // Friday 2026-12-11 in the evening: mark them, a no-show every sixth, every ninth left unmarked.
        suite.stop()
        try suite.editConfiguration { $0.replacingOccurrences(of: "2026-12-01T07:58:00+03:00", with: "2026-12-11T19:00:00+03:00") }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        for (index, reference) in references.enumerated() where (index + 1) % 7 != 0 && (index + 1) % 11 != 0 && (index + 1) % 9 != 0 {
            _ = try suite.bookctl([(index + 1) % 6 == 0 ? "no-show" : "attended", reference])
        }
        let html = suite.directory + "/report.html"
        let written = try suite.bookctl(["report", "--from", "2026-12-01", "--to", "2026-12-11", "--html", html])
        #expect(written.status == 0, "\(written.stderr)")

        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let command = ["-n", "19", "/usr/bin/ionice", "-c", "3", python, Self.reportScript, "--report", html, "--screenshots", Self.screenshots]
        let run = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SuiteProcess.Run, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try SuiteProcess.run("/usr/bin/nice", command) }) }
        }
        print("report screenshots: \(Self.screenshots)")
        guard run.status == 0 else { throw SuiteFailure("report_view.py exited \(run.status):\n\(run.stderr.suffix(4000))") }
        let seen = try #require(try JSONSerialization.jsonObject(with: Data((run.stdout.split(separator: "\n").last ?? "{}").utf8)) as? [String: Any])
        #expect((seen["requests"] as? [String])?.isEmpty == true, "the page asked for \(seen["requests"] ?? "?")")
        #expect((seen["console_errors"] as? [String])?.isEmpty == true, "\(seen["console_errors"] ?? "?")")
        let charts = try #require(seen["charts"] as? [[String: Any]])
        #expect(charts.count >= 3, "\(charts)")
        #expect(charts.allSatisfy { ($0["shapes"] as? Int ?? 0) > 0 && ($0["width"] as? Double ?? 0) > 100 }, "\(charts)")
        let text = seen["text"] as? String ?? ""
        for figure in ["Booking completion rate", "Cancellation rate", "Rescheduling rate", "Attendance rate", "Lead conversion", "Average booking time"] {
            #expect(text.contains(figure), "\(figure) is not on the page")
        }
        #expect((seen["pdf_pages"] as? Int ?? 0) >= 1)
        #expect(seen["print_charts_unbreakable"] as? Bool == true)
        #expect((seen["phone_overflow"] as? Int ?? 1) <= 0, "the page is wider than a phone: \(seen["phone_overflow"] ?? "?") px")
    }
}
