import BookingProtocol
import CivilTime
import DaemonKit
import Delivery
import Foundation
import LoopbackServers
import SuiteTesting
import Testing

/// calsyncd, availabilityd and bookingd in this process, and a real CalDAV server (Radicale) on
/// loopback holding anna's own calendar: what is in it takes her out of the offer.
@Suite(.serialized) struct CalendarImportTests {
    static func instant(_ text: String) -> Date { ISO8601.parseInstant(text)! }

    /// A suite with calsyncd (syncing only when asked), Radicale with anna's calendar `work`, and
    /// her password in a file beside booking.yaml.
    struct Fixture {
        let suite: InProcessSuite
        let server: LoopbackCalDAVServer
        let transport: HTTPTransport
        let calsyncd: DaemonClient
        let availabilityd: DaemonClient
        var calendarURL: String { server.collectionURL(user: "anna", calendar: "work") }

        static func start(clock: String = "2026-12-01T07:58:00+03:00", extra: String = "") async throws -> Fixture {
            let server = try LoopbackCalDAVServer(users: ["anna": "secret"])
            var options = InProcessSuite.Options()
            options.daemons = [.availabilityd, .bookingd, .calsyncd]
            options.clockStart = clock
            options.extra = "calendars: {sync_interval_seconds: 3600\(extra)}\n"
            let suite = try await InProcessSuite.start(options)
            try "secret\n".write(toFile: suite.directory + "/anna-calendar.password", atomically: true, encoding: .utf8)
            try "wrong\n".write(toFile: suite.directory + "/wrong.password", atomically: true, encoding: .utf8)
            let transport = HTTPTransport(connections: 2)
            let fixture = Fixture(suite: suite, server: server, transport: transport, calsyncd: try await suite.client(.calsyncd, timeout: .seconds(15)),
                                  availabilityd: try await suite.client(.availabilityd))
            let made = try await fixture.send("MKCALENDAR", "")
            #expect(made.status == 201)
            return fixture
        }

        var writer: CalendarWriter { CalendarWriter(transport: transport, collectionURL: calendarURL, username: "anna", password: "secret") }

        func send(_ method: String, _ name: String, _ body: String = "", headers: [(String, String)] = []) async throws -> HTTPResponse {
            try await writer.send(method, name, body, headers: headers)
        }

        func put(_ name: String, _ lines: [String]) async throws {
            try await writer.put(name, lines)
        }

        func connect(password: String = "anna-calendar.password") async throws -> CalendarConnectionBody {
            let reply: CalendarsReply = try await calsyncd.call(MessageType.calendarConnect, CalendarConnectRequest(
                consultantId: "anna", provider: "caldav", url: calendarURL, username: "anna", passwordCredential: password))
            return try #require(reply.connections.first)
        }

        func sync() async throws -> CalendarConnectionBody {
            try await calsyncd.syncCalendar(of: "anna")
        }

        /// anna's free slot starts on `day`, as Moscow wall times.
        func annaFree(_ day: String) async throws -> [String] {
            try await availabilityd.freeStarts(of: "anna", on: day)
        }

        func stop() async throws {
            server.stop()
            await transport.shutdown()
            try await suite.stop()
        }
    }

    static func event(_ uid: String, _ start: String, _ end: String, _ more: [String] = []) -> [String] {
        ["BEGIN:VEVENT", "UID:\(uid)", "DTSTAMP:20261130T000000Z", "DTSTART:\(start)", "DTEND:\(end)", "SUMMARY:Private"] + more + ["END:VEVENT"]
    }

    @Test func aMeetingTakesItsSlotsAndDeletingItGivesThemBack() async throws {
        let fixture = try await Fixture.start()
        let connected = try await fixture.connect()
        #expect(connected.lastError == nil && connected.lastSyncAt != nil && !connected.stale, "\(connected)")
        #expect(try await fixture.annaFree("2026-12-02").count == 18)

        try await fixture.put("planning.ics", Self.event("planning@example.com", "20261202T090000Z", "20261202T100000Z"))
        // Transparent and cancelled events hold no time; an all-day event holds its whole day.
        try await fixture.put("free.ics", Self.event("free@example.com", "20261202T130000Z", "20261202T140000Z", ["TRANSP:TRANSPARENT"]))
        try await fixture.put("off.ics", Self.event("off@example.com", "20261202T140000Z", "20261202T143000Z", ["STATUS:CANCELLED"]))
        try await fixture.put("away.ics", ["BEGIN:VEVENT", "UID:away@example.com", "DTSTAMP:20261130T000000Z", "DTSTART;VALUE=DATE:20261203",
                                           "DTEND;VALUE=DATE:20261204", "SUMMARY:Away", "END:VEVENT"])
        let synced = try await fixture.sync()
        #expect(synced.lastError == nil && synced.events == 4 && synced.busyIntervals == 2, "\(synced)")
        let free = try await fixture.annaFree("2026-12-02")
        #expect(!free.contains("12:00") && !free.contains("12:30") && free.contains("11:30") && free.contains("13:00"), "\(free)")
        #expect(free.contains("16:00") && free.contains("17:00"), "transparent and cancelled events block nothing: \(free)")
        #expect(try await fixture.annaFree("2026-12-03").isEmpty, "the all-day event takes the day")

        let busy: BusyReply = try await fixture.availabilityd.call(MessageType.busy, BusyRequest(consultantId: "anna"))
        #expect(busy.intervals.map(\.eventId) == ["planning@example.com", "away@example.com"])
        #expect(busy.intervals.allSatisfy { $0.source == "caldav:anna" })

        #expect(try await fixture.send("DELETE", "planning.ics").status == 200)
        #expect(try await fixture.sync().events == 3)
        #expect(try await fixture.annaFree("2026-12-02").count == 18)
        try await fixture.stop()
    }

    /// A weekly meeting on Berlin's clock across the change to summer time (28 March 2027), with
    /// one instance cancelled (EXDATE) and one moved (RECURRENCE-ID).
    @Test func aRecurringMeetingBlocksEachOccurrenceOnItsOwnClock() async throws {
        let fixture = try await Fixture.start(clock: "2027-03-23T07:58:00+03:00")
        _ = try await fixture.connect()
        try await fixture.put("standup.ics", [
            "BEGIN:VEVENT", "UID:standup@example.com", "DTSTAMP:20270301T000000Z",
            "DTSTART;TZID=Europe/Berlin:20270301T100000", "DTEND;TZID=Europe/Berlin:20270301T110000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR", "EXDATE;TZID=Europe/Berlin:20270326T100000", "SUMMARY:Standup", "END:VEVENT",
            "BEGIN:VEVENT", "UID:standup@example.com", "DTSTAMP:20270301T000000Z", "RECURRENCE-ID;TZID=Europe/Berlin:20270331T100000",
            "DTSTART;TZID=Europe/Berlin:20270331T150000", "DTEND;TZID=Europe/Berlin:20270331T160000", "SUMMARY:Standup (moved)", "END:VEVENT",
        ])
        let synced = try await fixture.sync()
        #expect(synced.lastError == nil, "\(synced)")
        func taken(_ day: String) async throws -> [String] {
            let free = Set(try await fixture.annaFree(day))
            return ["10:30", "11:00", "11:30", "12:00", "12:30", "13:00", "15:30", "16:00", "16:30", "17:00"].filter { !free.contains($0) }
        }
        #expect(try await taken("2027-03-24") == ["12:00", "12:30"], "10:00 CET is 12:00 in Moscow")
        #expect(try await taken("2027-03-26") == [], "the cancelled instance")
        #expect(try await taken("2027-03-29") == ["11:00", "11:30"], "10:00 CEST is 11:00 in Moscow")
        #expect(try await taken("2027-03-31") == ["16:00", "16:30"], "the moved instance, and its original time free")
        #expect(try await taken("2027-04-02") == ["11:00", "11:30"])
        try await fixture.stop()
    }

    @Test func aServerDownOrWrongCredentialsKeepTheLastBusyTimeAndSaySo() async throws {
        let fixture = try await Fixture.start(extra: ", stale_after_seconds: 1")
        _ = try await fixture.connect()
        try await fixture.put("planning.ics", Self.event("planning@example.com", "20261202T090000Z", "20261202T100000Z"))
        #expect(try await fixture.sync().lastError == nil)
        #expect(!(try await fixture.annaFree("2026-12-02").contains("12:00")))

        fixture.server.stop()
        try await Task.sleep(for: .milliseconds(1200))
        let down = try await fixture.sync()
        #expect(down.lastError?.contains("127.0.0.1") == true && down.stale, "\(down)")
        #expect(!(try await fixture.annaFree("2026-12-02").contains("12:00")), "the last known busy time stays in force")
        let ping: PingReply = try await fixture.calsyncd.call(MessageType.ping, Empty())
        #expect(ping.warnings.contains { $0.contains("the calendar of anna is stale") }, "\(ping)")
        // Bookings go on meanwhile.
        let bookingd = try await fixture.suite.client(.bookingd)
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
            start: Self.instant("2026-12-02T15:00:00+03:00"), contact: ContactBody(name: "Клиент", email: "c@example.com", phone: "+79161234567"),
            consultantId: "anna"))
        #expect(booked.consultantId == "anna")

        try fixture.server.start()
        let back = try await fixture.sync()
        #expect(back.lastError == nil && !back.stale, "\(back)")

        let wrong = try await fixture.connect(password: "wrong.password")
        #expect(wrong.lastError?.contains("refused the credentials") == true, "\(wrong)")
        #expect(!(try await fixture.annaFree("2026-12-02").contains("12:00")), "nothing else breaks: the busy time stays")
        try await fixture.stop()
    }

    @Test func badConnectionsAreRefusedAndChangeNothing() async throws {
        let fixture = try await Fixture.start()
        for (request, field) in [
            (CalendarConnectRequest(consultantId: "anna", provider: "outlook", url: fixture.calendarURL, username: "anna", passwordCredential: "anna-calendar.password"), "provider"),
            (CalendarConnectRequest(consultantId: "anna", provider: "caldav", url: "ftp://example.com/cal/", username: "anna", passwordCredential: "anna-calendar.password"), "url"),
            (CalendarConnectRequest(consultantId: "anna", provider: "caldav", url: "http://calendar.example.com/anna/", username: "anna", passwordCredential: "anna-calendar.password"), "url"),
            (CalendarConnectRequest(consultantId: "anna", provider: "yandex", url: fixture.calendarURL, username: "anna", passwordCredential: "anna-calendar.password"), "url"),
            (CalendarConnectRequest(consultantId: "anna", provider: "caldav", url: fixture.calendarURL, username: " ", passwordCredential: "anna-calendar.password"), "username"),
            (CalendarConnectRequest(consultantId: "anna", provider: "caldav", url: fixture.calendarURL, username: "anna", passwordCredential: "missing.password"), "password_credential"),
            (CalendarConnectRequest(consultantId: "zoe", provider: "caldav", url: fixture.calendarURL, username: "anna", passwordCredential: "anna-calendar.password"), "consultant_id"),
        ] {
            do {
                let _: CalendarsReply = try await fixture.calsyncd.call(MessageType.calendarConnect, request)
                Issue.record("accepted \(request)")
            } catch let error as ProtocolError {
                #expect(error.field == field, "\(error)")
            }
        }
        let listed: CalendarsReply = try await fixture.calsyncd.call(MessageType.calendars, CalendarConsultantRequest())
        #expect(listed.connections.isEmpty)
        do {
            let _: CalendarsReply = try await fixture.calsyncd.call(MessageType.calendarDisconnect, CalendarConsultantRequest(consultantId: "anna"))
            Issue.record("disconnected nothing")
        } catch let error as ProtocolError {
            #expect(error.code == .notFound)
        }
        try await fixture.stop()
    }

    @Test func disconnectingLiftsTheBusyTime() async throws {
        let fixture = try await Fixture.start()
        _ = try await fixture.connect()
        try await fixture.put("planning.ics", Self.event("planning@example.com", "20261202T090000Z", "20261202T100000Z"))
        _ = try await fixture.sync()
        #expect(!(try await fixture.annaFree("2026-12-02").contains("12:00")))
        let _: CalendarsReply = try await fixture.calsyncd.call(MessageType.calendarDisconnect, CalendarConsultantRequest(consultantId: "anna"))
        #expect(try await fixture.annaFree("2026-12-02").contains("12:00"))
        let listed: CalendarsReply = try await fixture.calsyncd.call(MessageType.calendars, CalendarConsultantRequest())
        #expect(listed.connections.isEmpty)
        try await fixture.stop()
    }
}
