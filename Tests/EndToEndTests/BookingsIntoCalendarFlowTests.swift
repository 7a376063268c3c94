import CalDAV
import Delivery
import Foundation
import LoopbackServers
import Testing

/// calsyncd writes each booking into its consultant's calendar on a real CalDAV server
/// (Radicale), follows reschedules and cancellations, mends or reports what was changed there,
/// and writes each booking exactly once whatever is killed on the way.
@Suite(.serialized) struct BookingsIntoCalendarFlowTests {
    /// A suite whose anna has a calendar on Radicale, synced every 2 s.
    struct Setup {
        let radicale: LoopbackCalDAVServer
        let suite: SuiteProcess
        let calendar: CalDAVCollection
        let http: HTTPTransport
        let url: String

        init(notifyd: Bool = false) async throws {
            radicale = try LoopbackCalDAVServer(users: ["anna": "secret"])
            var options = SuiteProcess.Options()
            options.extra = "calendars:\n  sync_interval_seconds: 2\n  stale_after_seconds: 60\n"
            suite = try SuiteProcess(options)
            try await suite.start("bookingd")
            try await suite.start("availabilityd")
            if notifyd { try await suite.start("notifyd") }
            try await suite.start("calsyncd")
            try "secret\n".write(toFile: suite.directory + "/anna.password", atomically: true, encoding: .utf8)
            http = HTTPTransport(connections: 2)
            url = radicale.collectionURL(user: "anna", calendar: "work")
            calendar = CalDAVCollection(account: CalDAVAccount(collectionURL: url, username: "anna", password: "secret"), transport: http)
            let made = try await http.exchange(HTTPRequest(method: "MKCALENDAR", url: url, headers: [
                ("Authorization", "Basic " + Data("anna:secret".utf8).base64EncodedString()),
            ], body: []))
            #expect(made.status == 201)
        }

        func connect(_ more: [String] = []) throws {
            let connected = try suite.bookctl(["calendars", "connect", "anna", "--provider", "caldav", "--url", url, "--username", "anna",
                                               "--password-credential", "anna.password"] + more)
            #expect(connected.status == 0, "\(connected.stdout)\(connected.stderr)")
        }

        /// Every event in the calendar, by resource name.
        func events() async throws -> [String: RemoteResource] {
            Dictionary(try await calendar.changes(since: nil).changed.map { (CalDAVCollection.name(of: $0.href), $0) }, uniquingKeysWith: { $1 })
        }

        /// Waits (up to 30 s) until the calendar's events satisfy `condition`.
        func eventually(_ what: String, _ condition: ([String: RemoteResource]) -> Bool) async throws -> [String: RemoteResource] {
            let start = ContinuousClock.now
            var found = try await events()
            while !condition(found), ContinuousClock.now - start < .seconds(30) {
                try await Task.sleep(for: .milliseconds(200))
                found = try await events()
            }
            #expect(condition(found), "\(what): \(found.keys.sorted())\n\(suite.log("calsyncd").suffix(3_000))")
            return found
        }

        func tearDown() async {
            suite.tearDown()
            radicale.stop()
            await http.shutdown()
        }
    }

    static func line(_ name: String, of event: RemoteResource?) -> String? {
        // Radicale answers with its own line ends.
        event?.calendarData.split(whereSeparator: \.isNewline).first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)) }
    }

    @Test func eachBookingIsInItsConsultantsCalendarMovedWithItAndRemovedWhenCancelled() async throws {
        let setup = try await Setup(notifyd: true)
        let suite = setup.suite
        try setup.connect(["--privacy", "full"])

        let booked = try #require(try suite.bookctlJSON(["book", "--start", "2026-12-02T15:00", "--consultant", "anna", "--name", "Мария Соколова",
                                                         "--email", "maria@example.com", "--phone", "+7 916 000-00-07"]) as? [String: Any])
        let reference = try #require(booked["reference"] as? String)
        var events = try await setup.eventually("the booking's event") { $0.count == 1 }
        let name = try #require(events.keys.first)
        let id = String(name.dropLast(4))
        // 15:00 in Moscow is 12:00 UTC; the UID and SEQUENCE are the invites'.
        #expect(Self.line("DTSTART", of: events[name]) == "20261202T120000Z")
        #expect(Self.line("DTEND", of: events[name]) == "20261202T123000Z")
        #expect(Self.line("UID", of: events[name]) == id)
        let firstSequence = try #require(Self.line("SEQUENCE", of: events[name]).flatMap { Int($0) })
        #expect(events[name]?.calendarData.contains("Мария Соколова") == true, "full privacy names the client")
        #expect(events[name]?.calendarData.contains("manage/\(reference)") == true)
        #expect(events[name]?.calendarData.contains("METHOD:") == false, "a calendar resource carries no METHOD (RFC 4791 §4.1)")
        #expect(events.count == 1)

        let status = try suite.bookctl(["calendars", "status"])
        #expect(status.status == 0 && status.stdout.contains("1 full"), "\(status.stdout)\(status.stderr)")

        // A reschedule moves it: the same resource and UID, a higher SEQUENCE.
        #expect(try suite.bookctl(["reschedule", reference, "--start", "2026-12-02T16:30"]).status == 0)
        events = try await setup.eventually("the event moved") { Self.line("DTSTART", of: $0[name]) == "20261202T133000Z" }
        #expect(events.count == 1 && Self.line("UID", of: events[name]) == id)
        #expect((Self.line("SEQUENCE", of: events[name]).flatMap { Int($0) } ?? 0) > firstSequence)
        // Its own event is the booking, not a meeting over it: the slot is not a conflict.
        #expect(try suite.bookctl(["calendars", "sync", "anna"]).status == 0)
        #expect(try suite.bookctl(["calendars", "conflicts"]).stdout == "No calendar conflict.\n")

        // Deleted in the calendar: written again at the next sync (on_remote_delete: recreate).
        try await setup.calendar.delete(name, ifMatch: nil)
        events = try await setup.eventually("the deleted event recreated") { $0[name] != nil }
        #expect(Self.line("DTSTART", of: events[name]) == "20261202T133000Z")
        #expect(suite.log("calsyncd").contains("writing it again"))

        // Moved in the calendar: a conflict, and the booking stays where it is.
        let movedText = try #require(events[name]?.calendarData).replacingOccurrences(of: "DTSTART:20261202T133000Z", with: "DTSTART:20261202T140000Z")
            .replacingOccurrences(of: "DTEND:20261202T140000Z", with: "DTEND:20261202T143000Z")
        _ = try await setup.calendar.put(name, calendar: movedText, ifMatch: events[name]?.etag)
        // A meeting over the booking: another conflict.
        let meeting = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\nUID:review@example.com\r\nDTSTAMP:20261130T000000Z\r\n"
            + "DTSTART:20261202T133000Z\r\nDTEND:20261202T140000Z\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        _ = try await setup.calendar.put("review.ics", calendar: meeting, ifMatch: nil)
        let synced = try suite.bookctl(["calendars", "sync", "anna"])
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        let conflicts = try suite.bookctl(["calendars", "conflicts"])
        print("bookctl calendars conflicts:\n\(conflicts.stdout)\(conflicts.stderr)")
        print("bookctl calendars status:\n\(try suite.bookctl(["calendars", "status"]).stdout)")
        #expect(conflicts.status == 1 && conflicts.stdout.contains("moved") && conflicts.stdout.contains("overlap")
                && conflicts.stdout.contains(reference) && conflicts.stdout.contains("review@example.com"), "\(conflicts.stdout)\(conflicts.stderr)")
        // The consultant is told of each, by email (the team would be on @chat, not configured here).
        let start = ContinuousClock.now
        var told: [[String: Any]] = []
        while told.count < 2, ContinuousClock.now - start < .seconds(30) {
            try await Task.sleep(for: .milliseconds(200))
            told = (try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]] ?? [])
                .filter { $0["purpose"] as? String == "consultant-calendar-conflict" }
        }
        #expect(told.count == 2, "\(suite.log("notifyd").suffix(2_000))\(suite.log("calsyncd").suffix(2_000))")
        #expect(try suite.bookctl(["calendars", "conflicts", "--all", "--json"]).stdout.contains("\"notified\" : true"))
        let shown = try #require(try suite.bookctlJSON(["show", reference]) as? [String: Any])
        #expect(shown["status"] as? String == "confirmed" && shown["start"] as? String == "2026-12-02T16:30:00+03:00", "nothing cancelled by itself")

        // Cancelled: its event leaves the calendar, changed there or not; the meeting stays.
        #expect(try suite.bookctl(["cancel", reference, "--reason", "test"]).status == 0)
        events = try await setup.eventually("the cancelled booking's event removed") { $0[name] == nil }
        #expect(events.keys.sorted() == ["review.ics"])
        await setup.tearDown()
    }

    @Test func aBurstOfBookingsWithCalsyncdKilledGivesExactlyOneEventEach() async throws {
        let setup = try await Setup()
        let suite = setup.suite
        // Google's default privacy is minimal; here the admin chose it for a CalDAV server.
        try setup.connect(["--privacy", "minimal"])
        let days = ["2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08", "2026-12-09"]
        let times = (9..<18).flatMap { hour in ["\(hour):00", "\(hour):30"] }.map { $0.count == 4 ? "0" + $0 : $0 }
        var ids: Set<String> = []
        for (index, start) in days.flatMap({ day in times.map { "\(day)T\($0)" } }).prefix(100).enumerated() {
            if index == 40 { suite.kill9("calsyncd") }
            if index == 70 { try await suite.start("calsyncd") }
            let booked = try #require(try suite.bookctlJSON(["book", "--start", start, "--consultant", "anna", "--name", "Клиент \(index)",
                                                             "--email", "c\(index)@example.com", "--phone", "+7 916 100-\(String(format: "%02d-%02d", index / 100, index % 100))"])
                as? [String: Any], "booking \(index) at \(start)")
            ids.insert(try #require(booked["reference"] as? String))
            if index == 85 { suite.kill9("calsyncd") }
        }
        try await suite.start("calsyncd")
        #expect(ids.count == 100)
        var events = try await setup.eventually("one event per booking") { $0.count == 100 }
        // Another sync and a pause: nothing more is written.
        #expect(try suite.bookctl(["calendars", "sync"]).status == 0)
        try await Task.sleep(for: .seconds(1))
        events = try await setup.events()
        #expect(events.count == 100)
        #expect(Set(events.values.compactMap { Self.line("UID", of: $0) }).count == 100)
        let references = events.values.compactMap { $0.calendarData.firstMatch(of: /BK-[0-9A-Z-]+/).map { String($0.output) } }
        #expect(Set(references) == ids)
        #expect(events.values.allSatisfy { !$0.calendarData.contains("Клиент") && !$0.calendarData.contains("example.com") },
                "minimal privacy: no client's name or address")
        await setup.tearDown()
    }
}
