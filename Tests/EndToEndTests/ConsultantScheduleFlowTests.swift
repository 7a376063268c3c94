import Foundation
import Testing

/// An operator sets a consultant's own hours, buffers and daily limit with bookctl against the
/// real daemons, and the offer and bookings follow.
@Suite(.serialized) struct ConsultantScheduleFlowTests {
    @Test func bookctlSetsHoursBuffersAndALimitAndBookingsFollowThem() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")

        let hours = try suite.bookctl(["consultants", "hours", "anna", "mon-fri 12:00-15:00"])
        #expect(hours.status == 0, "\(hours.stderr)")
        #expect(hours.stdout == "anna: hours mon 12:00-15:00, tue 12:00-15:00, wed 12:00-15:00, thu 12:00-15:00, fri 12:00-15:00 (Europe/Moscow)\n")
        let buffers = try suite.bookctl(["consultants", "buffers", "anna", "--after", "30"])
        #expect(buffers.status == 0 && buffers.stdout.contains("buffers 0 min before, 30 min after"), "\(buffers.stdout)\(buffers.stderr)")
        let limit = try suite.bookctlJSON(["consultants", "limit", "anna", "2"]) as? [String: Any]
        #expect(limit?["dailyLimit"] as? Int == 2 && limit?["bufferAfterMinutes"] as? Int == 30, "\(String(describing: limit))")

        let listed = try suite.bookctl(["consultants"])
        #expect(listed.stdout.contains("at most 2 a day"), "\(listed.stdout)")
        let slots = try #require(try suite.bookctlJSON(["slots", "--from", "2026-12-03", "--days", "1", "--consultant", "anna"]) as? [[String: Any]])
        let starts = slots.compactMap { ($0["start"] as? String)?.dropFirst(11).prefix(5) }
        #expect(starts == ["12:00", "12:30", "13:00", "13:30", "14:00", "14:30"], "\(starts)")

        func book(_ time: String, _ n: Int) throws -> SuiteProcess.Run {
            try suite.bookctl(["book", "--start", "2026-12-03T\(time)", "--consultant", "anna", "--name", "Клиент \(n)",
                               "--email", "client\(n)@example.com", "--phone", "+7 916 000-00-\(String(format: "%02d", n))"])
        }
        #expect(try book("12:00", 1).status == 0)
        let spaced = try book("12:30", 2)
        #expect(spaced.status == 1 && spaced.stderr.contains("consultant 'anna' is not free at that time"), "\(spaced.stderr)")
        #expect(try book("13:00", 3).status == 0)
        let full = try book("14:30", 4)
        #expect(full.status == 1 && full.stderr.contains("consultant 'anna' is not free at that time"), "the third booking of the day: \(full.stderr)")
        let outside = try book("16:00", 5)
        #expect(outside.status == 1 && outside.stderr.contains("not free"), "\(outside.stderr)")

        let bad = try suite.bookctl(["consultants", "hours", "anna", "weekdays 9-5"])
        #expect(bad.status == 1 && bad.stderr.contains("'weekdays' is not a weekday"), "\(bad.stderr)")
        let usage = try suite.bookctl(["consultants", "hours", "anna"])
        #expect(usage.status == 2, "\(usage.stderr)")
        let cleared = try suite.bookctl(["consultants", "hours", "anna", "--clear"])
        #expect(cleared.stdout.contains("hours of the business calendar"), "\(cleared.stdout)")

        let busy = try suite.bookctl(["calendars", "busy", "anna"])
        #expect(busy.status == 0 && busy.stdout == "No busy time for anna.\n", "\(busy.stdout)\(busy.stderr)")
        let unknown = try suite.bookctl(["calendars", "busy", "zoe"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no consultant has the id 'zoe'"), "\(unknown.stderr)")
    }
}
