import DaemonKit
import Foundation
import Testing

/// What an operator reads when the suite says no: times in the calendar's zone, the day's hours,
/// the next free times, and why there are no slots at all.
@Suite struct RefusalTests {
    func book(_ suite: SuiteProcess, _ start: String, _ n: Int) throws -> SuiteProcess.Run {
        try suite.bookctl(["book", "--start", start, "--name", "Клиент \(n)", "--email", "c\(n)@example.com", "--phone", "+7 916 000-00-\(String(format: "%02d", n))"])
    }

    @Test func refusalsSayWhatWouldWorkInTheCalendarsZone() async throws {
        let suite = try SuiteProcess()  // the suite's clock: Tuesday 2026-12-01 07:58 in Moscow
        defer { suite.tearDown() }
        try await suite.start()

        let early = try book(suite, "2026-12-02T08:00", 1)
        #expect(early.status == 1)
        #expect(early.stderr.contains("outside_working_hours") && early.stderr.contains("from 09:00 to 18:00 (Europe/Moscow)"), "\(early.stderr)")

        let soon = try book(suite, "2026-12-01T09:30", 2)
        #expect(soon.status == 1)
        #expect(soon.stderr.contains("too_soon") && soon.stderr.contains("+03:00 (Europe/Moscow)") && !soon.stderr.contains(".000Z"), "\(soon.stderr)")

        #expect(try book(suite, "2026-12-02T10:00", 3).status == 0)
        #expect(try book(suite, "2026-12-02T10:00", 4).status == 0)
        let taken = try book(suite, "2026-12-02T10:00", 5)
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("slot_unavailable")
                && taken.stderr.contains("the next free times are 2026-12-02T10:30:00+03:00, 2026-12-02T11:00:00+03:00, 2026-12-02T11:30:00+03:00 (Europe/Moscow)"),
                "\(taken.stderr)")
        let anna = try suite.bookctl(["book", "--start", "2026-12-02T10:00", "--name", "Клиент 6", "--email", "c6@example.com", "--phone", "+7 916 000-00-06",
                                      "--consultant", "anna"])
        #expect(anna.status == 1)
        #expect(anna.stderr.contains("consultant 'anna' is not free at that time; the next free times are 2026-12-02T10:30:00+03:00"), "\(anna.stderr)")
    }

    @Test func noFreeSlotsSaysWhy() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()

        let weekend = try suite.bookctl(["slots", "--from", "2026-12-05", "--days", "2"])
        #expect(weekend.status == 0)
        #expect(weekend.stdout.contains("No free slots:") && weekend.stdout.contains("every day asked is closed: 2026-12-05 weekend, 2026-12-06 weekend"),
                "\(weekend.stdout)")

        let far = try suite.bookctl(["slots", "--from", "2026-12-20"])
        #expect(far.stdout.contains("2026-12-20 is beyond the booking horizon: bookings are open until 2026-12-14"), "\(far.stdout)")

        #expect(try suite.bookctl(["pause", "--reason", "inventory"]).status == 0)
        let paused = try suite.bookctl(["slots", "--from", "2026-12-06", "--days", "1"])
        #expect(paused.stdout.contains("new bookings are paused") && paused.stdout.contains("inventory"), "\(paused.stdout)")
    }

    @Test func blockRefusesPastDaysAndWarnsAboutClosedOnes() async throws {
        let suite = try SuiteProcess()  // today is Tuesday 2026-12-01 in Moscow
        defer { suite.tearDown() }
        try await suite.start()
        let past = try suite.bookctl(["block", "2026-11-30..2026-12-02", "--reason", "training"])
        #expect(past.status == 1)
        #expect(past.stderr.contains("2026-11-30 is in the past (today is 2026-12-01 in Europe/Moscow)"), "\(past.stderr)")
        let calendar = try #require(try suite.bookctlJSON(["calendar", "2026"]) as? [[String: Any]])
        #expect(!calendar.contains { $0["date"] as? String == "2026-12-02" && $0["kind"] as? String == "blocked" }, "nothing was blocked")

        let weekend = try suite.bookctl(["block", "2026-12-04..2026-12-06", "--reason", "training"])
        #expect(weekend.status == 0, "\(weekend.stderr)")
        #expect(weekend.stderr.contains("warning: 2026-12-05 is a weekend; it has no consultations anyway")
                && weekend.stderr.contains("warning: 2026-12-06 is a weekend") && !weekend.stderr.contains("2026-12-04 is"), "\(weekend.stderr)")
        #expect(weekend.stdout.contains("blocked 2026-12-04..2026-12-06: training"))
    }

    @Test func historyNamesTheAdminWhoForcedACancellation() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let booked = try book(suite, "2026-12-03T11:00", 7)
        #expect(booked.status == 0, "\(booked.stderr)")
        let reference = booked.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try suite.bookctl(["block", "2026-12-03", "--reason", "offsite", "--force"]).status == 0)
        let history = try suite.bookctl(["history", reference])
        let cancellation = try #require(history.stdout.split(separator: "\n").first { $0.contains("cancelled") }, "\(history.stdout)")
        // bookctl's caller, as the audit trail names every admin.
        #expect(cancellation.contains("system (\(OSUser.current))"), "\(cancellation)")
    }
}
