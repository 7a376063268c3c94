import BookingDomain
import BookingProtocol
@testable import BookingStore
import Foundation
import GRDB
import SQLiteStorage
import StoreSQL
import Testing

/// The meeting and topic a booking keeps, on each engine; older SQLite files keep theirs.
@Suite struct MeetingStoreTests {
    let tests = try! SQLiteBookingStoreTests()
    var store: SQLiteBookingStore { tests.store }
    static let room = try! VideoRoom(template: "https://meet.example.com/{reference}")
    static let formats: [String: MeetingFormat] = ["anna": .video(room), "boris": .office(address: "Москва, Тверская ул., 1, офис 5")]

    @Test(arguments: StoreEngine.allCases) func aBookingKeepsItsConsultantsMeetingResolvedAndItsTopic(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        var booking = try tests.booking(1, consultant: "anna")
        booking.meetingFormats = Self.formats
        booking.topic = "Налоги\nи вычеты"
        let result = try await store.apply(.book(booking), context: tests.context())
        let link = "https://meet.example.com/\(booking.reference)"
        #expect(result.appointment.meeting == MeetingBody(format: "video", link: link))
        #expect(result.appointment.topic == "Налоги\nи вычеты")
        let stored = try #require(try await store.appointment(reference: booking.reference))
        #expect(stored.meeting == .video(link: link) && stored.topic == "Налоги\nи вычеты")
        let (events, _) = try await store.events(after: 0, limit: 10)
        #expect(events.first?.appointment.meeting?.link == link)
        #expect(events.first?.appointment.topic == nil, "the topic is the client's own words: not in events")
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func movingToAnotherConsultantGivesTheirMeetingAndStayingKeepsIt(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        var booking = try tests.booking(1, consultant: "anna")
        booking.meetingFormats = Self.formats
        _ = try await store.apply(.book(booking), context: tests.context())
        let later = try DateTimeRange(start: tests.slot.end, end: tests.slot.end.addingTimeInterval(1800))
        // Same consultant, later: the room the client was given stays.
        let sameHands = try await store.apply(.reschedule(Move(
            reference: booking.reference, slot: later, candidates: ["anna", "boris"], requestedConsultant: "anna", horizonEnd: tests.horizon,
            reason: nil, meetingFormats: ["anna": .phoneCall])), context: tests.context("reschedule"))
        #expect(sameHands.appointment.meeting?.link == "https://meet.example.com/\(booking.reference)")
        let moved = try await store.apply(.reschedule(Move(
            reference: booking.reference, slot: tests.slot, candidates: ["boris"], requestedConsultant: "boris", horizonEnd: tests.horizon,
            reason: nil, meetingFormats: Self.formats)), context: tests.context("reschedule"))
        #expect(moved.appointment.meeting == MeetingBody(format: "office", address: "Москва, Тверская ул., 1, офис 5"))
        let stored = try #require(try await store.appointment(reference: booking.reference))
        #expect(stored.meeting == .office(address: "Москва, Тверская ул., 1, офис 5"))
        #expect(stored.topic == nil)
        withExtendedLifetime(tests) {}
    }

    @Test func aDatabaseOfTheV4SchemaKeepsItsBookingsWithoutAMeeting() async throws {
        let path = tests.directory + "/v4.sqlite"
        let old = try DatabasePool(path: path)
        try Schema.migrator(master: tests.master).migrate(old, upTo: "v4: revision")
        let reference = BookingReference.random()
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO clients (id, email, created_at) VALUES ('00000000-0000-0000-0000-000000000001', 'old@example.com', 0);
                INSERT INTO appointments (id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                                          time_zone, locale, created_at, updated_at, reminder_sent, revision)
                VALUES ('00000000-0000-0000-0000-0000000000aa', ?, '00000000-0000-0000-0000-000000000001', 'anna', 1796194800000, 1796196600000,
                        'confirmed', 'Old Client', 'old@example.com', '+79161234567', NULL, 'Europe/Moscow', 'ru', 0, 0, 0, 0);
                """, arguments: [reference.description])
        }
        try old.close()
        let reopened = try SQLiteBookingStore(path: path, masterKey: tests.master)
        let appointment = try #require(try await reopened.appointment(reference: reference))
        #expect(appointment.meeting == nil && appointment.topic == nil)
        #expect(AppointmentBody(appointment).meeting == nil)
        // And it can be moved to a consultant with a meeting, which it then gets.
        let moved = try await reopened.apply(.reschedule(Move(
            reference: reference, slot: tests.slot, candidates: ["boris"], requestedConsultant: "boris", horizonEnd: tests.horizon,
            reason: nil, meetingFormats: Self.formats)), context: tests.context("reschedule"))
        #expect(moved.appointment.meeting?.format == "office")
    }

    @Test func aHandEditedMeetingIsAnUnreadableRow() async throws {
        let booked = try await store.apply(.book(try tests.booking(1)), context: tests.context())
        let pool = try DatabasePool(path: tests.directory + "/bookingd.sqlite")
        try await pool.write { db in try db.execute(sql: "UPDATE appointments SET meeting_format = 'video', meeting_link = 'ftp://x.example/a'") }
        try pool.close()
        await #expect(throws: StoreError.unreadableRow(table: "appointments", key: booked.appointment.reference,
                                                        problem: "meeting_link: a meeting link must start with https:// or http://, not ftp:")) {
            try await store.appointment(reference: try BookingReference(parsing: booked.appointment.reference))
        }
    }
}
