import BookingProtocol
import CalendarSyncStore
import CivilTime
import Foundation
import Testing
@testable import CalendarSync

/// What a booking's event in a consultant's calendar says, and what a read of the calendar says
/// back about it: pure, so every case is checked here without a server.
@Suite struct BookingEventTests {
    static let id = "5f0c3c1e-8a4e-4d7b-9a56-0c1d2e3f4a5b"
    static let reference = "BK-7Q2M-X9TD-4KHN-ZP3CG"
    static let start = ISO8601.parseInstant("2026-12-02T12:00:00Z")!
    static let manage = "https://book.example.com/manage/{reference}"

    static func appointment(status: String = "confirmed", revision: Int = 1, start: Date = start, erased: Bool = false) -> AppointmentBody {
        var body = AppointmentBody(
            reference: reference, id: id, clientId: "c1", consultantId: "anna", start: start, end: start.addingTimeInterval(1_800), status: status,
            contact: ContactBody(name: "М*** С***", email: "m***@example.com", phone: "+7916*****07"), timeZone: "Europe/Moscow", locale: "ru",
            createdAt: start.addingTimeInterval(-86_400), updatedAt: start.addingTimeInterval(-3_600), reminderSent: false, revision: revision,
            meeting: MeetingBody(format: "video", link: "https://meet.example.com/room"))
        if erased { body.erasedAt = start.addingTimeInterval(86_400) }
        return body
    }

    static let contact = ContactReply(reference: reference, contact: ContactBody(name: "Мария Соколова", email: "maria@example.com", phone: "+79160000007"),
                                      topic: "Тарифы")

    @Test func minimalSaysTheReferenceAndTheManageLinkAndNothingOfTheClient() {
        let event = BookingEvent(Self.appointment(), privacy: .minimal, contact: Self.contact, manageURL: Self.manage, consultantLocale: "ru")
        let text = event.resource
        #expect(event.event.summary == "Консультация \(Self.reference)")
        #expect(text.contains("UID:\(Self.id)") && text.contains("SEQUENCE:1") && text.contains("DTSTART:20261202T120000Z"))
        #expect(text.contains("https://book.example.com/manage/\(Self.reference)"))
        #expect(!text.contains("Мария") && !text.contains("maria@") && !text.contains("7916") && !text.contains("Тарифы"))
        #expect(!text.contains("METHOD:"), "a CalDAV resource has no METHOD (RFC 4791 §4.1)")
    }

    @Test func fullNamesTheClientForTheConsultantInTheirLanguage() {
        let russian = BookingEvent(Self.appointment(), privacy: .full, contact: Self.contact, manageURL: nil, consultantLocale: "ru").event
        #expect(russian.summary == "Консультация: Мария Соколова (\(Self.reference))")
        #expect(russian.description.contains("Телефон: +79160000007") && russian.description.contains("Email: maria@example.com")
                && russian.description.contains("Тема: Тарифы"))
        let english = BookingEvent(Self.appointment(), privacy: .full, contact: Self.contact, manageURL: nil, consultantLocale: "en").event
        #expect(english.summary == "Consultation: Мария Соколова (\(Self.reference))" && english.description.contains("Phone: +79160000007"))
    }

    @Test func anErasedBookingSaysNothingOfTheClientEvenAtFull() {
        let text = BookingEvent(Self.appointment(erased: true), privacy: .full, contact: Self.contact, manageURL: nil, consultantLocale: "ru").resource
        #expect(!text.contains("Мария") && text.contains(Self.reference))
    }

    @Test func aHoldSaysItAwaitsConfirmationAndTheRevisionIsTheSequence() {
        let event = BookingEvent(Self.appointment(status: "scheduled", revision: 4), privacy: .minimal, contact: nil, manageURL: nil,
                                 consultantLocale: "ru").event
        #expect(event.sequence == 4 && event.description.contains("Ждёт подтверждения"))
        #expect(event.conference == "https://meet.example.com/room")
        #expect(BookingEvent.belongsInCalendar(Self.appointment(status: "completed")))
        #expect(!BookingEvent.belongsInCalendar(Self.appointment(status: "cancelled")))
        #expect(BookingEvent.resourceName(appointmentId: Self.id) == "\(Self.id).ics")
    }

    // MARK: What a read of the calendar says about the bookings in it

    static let now = ISO8601.parseInstant("2026-12-01T08:00:00Z")!

    static func copy(_ appointment: AppointmentBody = appointment(), version: Int = 1, written: Int = 1, remoteStart: Date? = start,
                     in calendar: String = "anna") throws -> BookingCopy {
        BookingCopy(appointmentId: id, consultantId: appointment.consultantId, appointment: String(decoding: try WireJSON.encode(appointment), as: UTF8.self),
                    end: appointment.end, version: version, writtenVersion: written,
                    remote: remoteStart.map { RemoteCopy(consultantId: calendar, name: "\(id).ics", etag: "\"1\"", start: $0) }, attempts: 0)
    }

    static func remote(start: Date = start) -> RemoteEvent {
        let event = BookingEvent(appointment(start: start), privacy: .minimal, contact: nil, manageURL: nil, consultantLocale: "ru")
        return RemoteEvent(href: "/anna/work/\(id).ics", etag: "\"2\"", data: event.resource)
    }

    static let moscow = TimeZone(identifier: "Europe/Moscow")!

    @Test func anEventAsWrittenIsNoDisagreement() throws {
        let found = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy()], events: [Self.remote()], overlaps: [], zone: Self.moscow,
                                          now: Self.now)
        #expect(found.deleted.isEmpty && found.conflicts.isEmpty)
    }

    @Test func aDeletedEventIsFoundAndAMovedOneIsAConflictButNotWhileAWriteIsPending() throws {
        let deleted = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy()], events: [], overlaps: [], zone: Self.moscow, now: Self.now)
        #expect(deleted.deleted.map(\.appointmentId) == [Self.id] && deleted.conflicts.isEmpty)
        let conflict = try #require(CalendarDisagreements.deletion(try Self.copy(), consultantId: "anna", now: Self.now))
        #expect(conflict.kind == .deleted && conflict.reference == Self.reference)

        let later = Self.start.addingTimeInterval(3_600)
        let moved = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy()], events: [Self.remote(start: later)], overlaps: [],
                                          zone: Self.moscow, now: Self.now)
        #expect(moved.conflicts.map(\.kind) == [.moved] && moved.conflicts.first?.eventStart == later && moved.conflicts.first?.start == Self.start)

        // A reschedule not yet written: the calendar is about to change, nothing to say.
        let pending = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy(version: 2, written: 1)], events: [],
                                            overlaps: [], zone: Self.moscow, now: Self.now)
        #expect(pending.deleted.isEmpty && pending.conflicts.isEmpty)
        // Past bookings are history.
        let past = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy()], events: [], overlaps: [], zone: Self.moscow,
                                         now: Self.start.addingTimeInterval(86_400))
        #expect(past.deleted.isEmpty)
    }

    @Test func aMeetingOverABookingIsAnOverlapWithAStableShortId() throws {
        let uid = String(repeating: "x", count: 450) + "@example.com"
        let overlaps = [BusyConflictBody(start: Self.start, eventId: uid), BusyConflictBody(start: Self.now, eventId: "elsewhere")]
        let found = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy()], events: [Self.remote()], overlaps: overlaps,
                                          zone: Self.moscow, now: Self.now)
        let conflict = try #require(found.conflicts.first)
        #expect(found.conflicts.count == 1 && conflict.kind == .overlap && conflict.reference == Self.reference && conflict.eventId == uid)
        #expect(conflict.id.count <= 200)
        let again = CalendarDisagreements(consultantId: "anna", copies: [try Self.copy()], events: [Self.remote()], overlaps: overlaps,
                                          zone: Self.moscow, now: Self.now.addingTimeInterval(60))
        #expect(again.conflicts.first?.id == conflict.id, "the same meeting over the same booking is the same conflict")
    }

    @Test func theBookingsOwnEventIsNotBusyTime() {
        let meeting = RemoteEvent(href: "/anna/work/m.ics", etag: nil, data: BusyImportTests.calendar([
            "BEGIN:VEVENT", "UID:m@example.com", "DTSTART:20261203T090000Z", "DTEND:20261203T100000Z", "END:VEVENT"]))
        let window = BusyImportTests.window
        let imported = BusyImport(events: [Self.remote(), meeting], window: window, zone: Self.moscow, tentativeBlocks: true, addresses: [],
                                  excludingUIDs: [Self.id])
        #expect(imported.intervals.map(\.eventId) == ["m@example.com"])
    }
}
