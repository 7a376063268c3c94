import CalDAV
import Delivery
import Foundation
import LoopbackServers
import Testing

/// calsyncd as a process of its own, driven by bookctl, reading a consultant's calendar on a real
/// CalDAV server (Radicale): the meeting saved there leaves the offer on the next sync, outages
/// and wrong credentials are told without stopping bookings, and a kill -9 loses nothing.
@Suite(.serialized) struct ConsultantCalendarFlowTests {
    @Test func aMeetingInTheConsultantsCalendarLeavesTheOfferAndTheSuiteSaysHowTheSyncGoes() async throws {
        let radicale = try LoopbackCalDAVServer(users: ["anna": "secret"])
        defer { radicale.stop() }
        var options = SuiteProcess.Options()
        options.extra = "calendars:\n  sync_interval_seconds: 2\n  stale_after_seconds: 30\n"
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start("bookingd")
        try await suite.start("availabilityd")
        try await suite.start("calsyncd")
        try "secret\n".write(toFile: suite.directory + "/anna.password", atomically: true, encoding: .utf8)
        try "wrong\n".write(toFile: suite.directory + "/wrong.password", atomically: true, encoding: .utf8)

        let http = HTTPTransport(connections: 1)
        let url = radicale.collectionURL(user: "anna", calendar: "work")
        func dav(_ method: String, _ name: String = "", _ body: String = "") async throws -> Int {
            try await http.exchange(HTTPRequest(method: method, url: url + name, headers: [
                ("Authorization", "Basic " + Data("anna:secret".utf8).base64EncodedString()), ("Content-Type", "text/calendar"),
            ], body: Array(body.utf8))).status
        }
        #expect(try await dav("MKCALENDAR") == 201)

        let connect = ["calendars", "connect", "anna", "--provider", "caldav", "--url", url, "--username", "anna"]
        let connected = try suite.bookctl(connect + ["--password-credential", "anna.password"])
        #expect(connected.status == 0 && connected.stdout.contains("anna") && connected.stdout.contains(" ok "), "\(connected.stdout)\(connected.stderr)")
        let status = try suite.bookctl(["status"])
        #expect(status.stdout.contains("calsyncd: serving"), "\(status.stdout)")

        func annaOffers(_ time: String) throws -> Bool {
            let slots = try suite.bookctlJSON(["slots", "--from", "2026-12-02", "--days", "1", "--consultant", "anna"]) as? [[String: Any]] ?? []
            return slots.contains { ($0["start"] as? String)?.hasPrefix("2026-12-02T\(time)") == true }
        }
        #expect(try annaOffers("12:00"))
        let meeting = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\nUID:planning@example.com\r\nDTSTAMP:20261130T000000Z\r\n"
            + "DTSTART;TZID=Europe/Moscow:20261202T120000\r\nDTEND;TZID=Europe/Moscow:20261202T130000\r\nSUMMARY:Planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        #expect(try await dav("PUT", "planning.ics", meeting) == 201)
        // The periodic sync (every 2 s here) takes it out of the offer: no command needed.
        let saved = ContinuousClock.now
        var offered = true
        while offered, ContinuousClock.now - saved < .seconds(30) {
            try await Task.sleep(for: .milliseconds(100))
            offered = try annaOffers("12:00")
        }
        #expect(!offered, "the meeting's slot is still offered")
        print("calendar: meeting saved to slot gone from the offer in \(ContinuousClock.now - saved) (sync interval 2 s)")
        #expect(try !annaOffers("12:30") && annaOffers("13:00"))
        let busy = try suite.bookctl(["calendars", "busy", "anna"])
        #expect(busy.stdout.contains("planning@example.com") && busy.stdout.contains("caldav:anna"), "\(busy.stdout)")

        // Radicale down: the status says so (exit 1), the busy time stays, bookings go on.
        radicale.stop()
        let down = try suite.bookctl(["calendars", "sync", "anna"])
        #expect(down.status == 1 && down.stdout.contains("failing") && down.stdout.contains("connection refused"), "\(down.stdout)\(down.stderr)")
        #expect(try !annaOffers("12:00"))
        let booked = try suite.bookctl(["book", "--start", "2026-12-02T15:00", "--consultant", "anna", "--name", "Клиент", "--email", "c@example.com",
                                        "--phone", "+7 916 000-00-01"])
        #expect(booked.status == 0, "\(booked.stderr)")
        try radicale.start()
        let back = try suite.bookctl(["calendars", "sync"])
        #expect(back.status == 0 && back.stdout.contains(" ok "), "\(back.stdout)\(back.stderr)")
        // Caught up: the booking made while Radicale was down is in the calendar now.
        let calendar = CalDAVCollection(account: CalDAVAccount(collectionURL: url, username: "anna", password: "secret"), transport: http)
        let held = try await calendar.changes(since: nil).changed
        #expect(held.count == 2 && held.contains { $0.calendarData.contains("DTSTART:20261202T120000Z") }, "\(held.map(\.href))")

        // kill -9 of calsyncd, the meeting deleted meanwhile: after the restart the next sync
        // (from the stored token) gives the slot back.
        suite.kill9("calsyncd")
        #expect(try await dav("DELETE", "planning.ics") == 200)
        try await suite.start("calsyncd")
        let resumed = try suite.bookctl(["calendars", "sync", "anna", "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try annaOffers("12:00"))

        // Wrong credentials: a clear line, nothing else breaks.
        let wrong = try suite.bookctl(connect + ["--password-credential", "wrong.password"])
        #expect(wrong.status == 1 && wrong.stdout.contains("refused the credentials"), "\(wrong.stdout)\(wrong.stderr)")
        #expect(try annaOffers("12:00"))
        let missing = try suite.bookctl(connect + ["--password-credential", "nothing.password"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read"), "\(missing.stderr)")

        let gone = try suite.bookctl(["calendars", "disconnect", "anna"])
        #expect(gone.status == 0, "\(gone.stderr)")
        #expect(try suite.bookctl(["calendars", "list"]).stdout == "No calendar is connected.\n")
        await http.shutdown()
    }
}
