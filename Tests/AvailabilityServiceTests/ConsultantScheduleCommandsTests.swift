import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// Consultants' own hours, buffers and daily limits, and imported busy time, through availabilityd
/// and bookingd in this process.
@Suite(.serialized) struct ConsultantScheduleCommandsTests {
    static func instant(_ text: String) -> Date { ISO8601.parseInstant(text)! }

    static func book(_ bookingd: DaemonClient, _ start: String, consultant: String? = nil, email: String) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, BookRequest(
            start: instant(start), contact: ContactBody(name: "Клиент", email: email, phone: "+7916\(Int.random(in: 1_000_000...9_999_999))"),
            consultantId: consultant))
    }

    static func freeAt(_ availability: DaemonClient, _ start: String, consultant: String) async throws -> Bool {
        let reply: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(from: String(start.prefix(10)), days: 1, consultantId: consultant))
        return reply.slots.contains { $0.start == instant(start) }
    }

    @Test func buffersAndTheDailyLimitHoldInTheOfferAndInBookingd() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await CalendarCommandsTests.synced(suite)
        let bookingd = try await suite.client(.bookingd)
        let edited: ConsultantBody = try await availability.call(
            MessageType.consultantEdit, ConsultantEditRequest(id: "anna", bufferBeforeMinutes: 0, bufferAfterMinutes: 30, dailyLimit: 2))
        #expect(edited.bufferAfterMinutes == 30 && edited.bufferBeforeMinutes == nil && edited.dailyLimit == 2 && edited.hours == nil)

        let first = try await Self.book(bookingd, "2026-12-02T12:00:00+03:00", consultant: "anna", email: "one@example.com")
        #expect(first.consultantId == "anna")
        // Within the spacing: bookingd refuses anna herself, and gives an unnamed booking to boris.
        do {
            _ = try await Self.book(bookingd, "2026-12-02T12:30:00+03:00", consultant: "anna", email: "two@example.com")
            Issue.record("booked anna within her buffer")
        } catch let error as ProtocolError {
            #expect(error.code == .slotUnavailable && error.field == "consultant_id", "\(error)")
        }
        let other = try await Self.book(bookingd, "2026-12-02T11:30:00+03:00", email: "three@example.com")
        #expect(other.consultantId == "boris")
        _ = try await Self.book(bookingd, "2026-12-02T15:00:00+03:00", consultant: "anna", email: "four@example.com")
        do {
            _ = try await Self.book(bookingd, "2026-12-02T17:00:00+03:00", consultant: "anna", email: "five@example.com")
            Issue.record("booked anna past her daily limit")
        } catch let error as ProtocolError {
            #expect(error.code == .slotUnavailable, "\(error)")
        }
        _ = try await Self.book(bookingd, "2026-12-03T17:00:00+03:00", consultant: "anna", email: "six@example.com")
        // The offer follows the events: anna's day is full.
        var offered = true
        for _ in 0..<100 {
            offered = try await Self.freeAt(availability, "2026-12-02T17:00:00+03:00", consultant: "anna")
            if !offered { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!offered)
        // A move within the same day is not counted against itself.
        let moved: AppointmentBody = try await bookingd.call(
            MessageType.reschedule, RescheduleRequest(reference: first.reference, start: Self.instant("2026-12-02T10:00:00+03:00"), consultantId: "anna"))
        #expect(moved.consultantId == "anna")

        let cleared: ConsultantBody = try await availability.call(MessageType.consultantEdit, ConsultantEditRequest(id: "anna", bufferAfterMinutes: 0, dailyLimit: 0))
        #expect(cleared.bufferAfterMinutes == nil && cleared.dailyLimit == nil)
        try await suite.stop()
    }

    @Test func ownHoursAreKeptAndBadSchedulesAreRefused() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await CalendarCommandsTests.synced(suite)
        let edited: ConsultantBody = try await availability.call(
            MessageType.consultantEdit, ConsultantEditRequest(id: "boris", timeZone: "Europe/Berlin", hours: "Mon-Fri 09:00-13:00"))
        #expect(edited.hours == "mon 09:00-13:00, tue 09:00-13:00, wed 09:00-13:00, thu 09:00-13:00, fri 09:00-13:00")
        // 09:00 in Berlin is 11:00 in Moscow in December.
        #expect(try await !Self.freeAt(availability, "2026-12-02T10:30:00+03:00", consultant: "boris"))
        #expect(try await Self.freeAt(availability, "2026-12-02T11:00:00+03:00", consultant: "boris"))
        #expect(try await !Self.freeAt(availability, "2026-12-02T15:00:00+03:00", consultant: "boris"))
        do {
            let _: CheckSlotReply = try await availability.call(
                MessageType.checkSlot, CheckSlotRequest(start: Self.instant("2026-12-02T15:00:00+03:00"), consultantId: "boris"))
            Issue.record("check_slot allowed boris outside his hours")
        } catch let error as ProtocolError {
            #expect(error.code == .slotUnavailable, "\(error)")
        }

        for (request, field) in [
            (ConsultantEditRequest(id: "boris", hours: "weekdays 9-5"), "hours"),
            (ConsultantEditRequest(id: "boris", bufferBeforeMinutes: -5), "buffer_before_minutes"),
            (ConsultantEditRequest(id: "boris", bufferAfterMinutes: 600), "buffer_after_minutes"),
            (ConsultantEditRequest(id: "boris", dailyLimit: 100), "daily_limit"),
        ] {
            do {
                let _: ConsultantBody = try await availability.call(MessageType.consultantEdit, request)
                Issue.record("accepted \(request)")
            } catch let error as ProtocolError {
                #expect(error.code == .validationFailed && error.field == field, "\(error)")
            }
        }
        let listed: ConsultantsReply = try await availability.call(MessageType.consultants, Empty())
        let boris = try #require(listed.consultants.first { $0.id == "boris" })
        #expect(boris.hours == edited.hours && boris.bufferBeforeMinutes == nil && boris.dailyLimit == nil, "a refused edit changes nothing")

        let business: ConsultantBody = try await availability.call(MessageType.consultantEdit, ConsultantEditRequest(id: "boris", hours: ""))
        #expect(business.hours == nil)
        #expect(try await Self.freeAt(availability, "2026-12-02T15:00:00+03:00", consultant: "boris"))
        try await suite.stop()
    }

    @Test func busyTimeTakesSlotsIsListedAndNamesTheBookingsItOverlaps() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await CalendarCommandsTests.synced(suite)
        let bookingd = try await suite.client(.bookingd)
        let booked = try await Self.book(bookingd, "2026-12-02T14:00:00+03:00", consultant: "anna", email: "one@example.com")
        var synced = false
        for _ in 0..<100 {
            synced = try await !Self.freeAt(availability, "2026-12-02T14:00:00+03:00", consultant: "anna")
            if synced { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(synced)

        let request = BusyReplaceRequest(consultantId: "anna", source: "caldav:anna", intervals: [
            BusyIntervalBody(start: Self.instant("2026-12-02T11:00:00+03:00"), end: Self.instant("2026-12-02T12:00:00+03:00"), eventId: "planning@example.com"),
            BusyIntervalBody(start: Self.instant("2026-12-02T13:45:00+03:00"), end: Self.instant("2026-12-02T14:15:00+03:00"), eventId: "call@example.com"),
            // Already over: not kept.
            BusyIntervalBody(start: Self.instant("2026-11-30T11:00:00+03:00"), end: Self.instant("2026-11-30T12:00:00+03:00"), eventId: "old@example.com"),
        ])
        let reply: BusyReplaceReply = try await availability.call(MessageType.busyReplace, request)
        #expect(reply.count == 2)
        #expect(reply.conflicts == [BusyConflictBody(start: booked.start, eventId: "call@example.com")])
        #expect(try await !Self.freeAt(availability, "2026-12-02T11:30:00+03:00", consultant: "anna"))
        #expect(try await Self.freeAt(availability, "2026-12-02T12:00:00+03:00", consultant: "anna"))
        do {
            let _: AppointmentBody = try await Self.book(bookingd, "2026-12-02T11:00:00+03:00", consultant: "anna", email: "two@example.com")
            Issue.record("booked anna over her own meeting")
        } catch let error as ProtocolError {
            #expect(error.code == .slotUnavailable, "\(error)")
        }
        // The booking already made stays: nothing is cancelled by itself.
        let still: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(still.status == "confirmed")

        let listed: BusyReply = try await availability.call(MessageType.busy, BusyRequest(consultantId: "anna"))
        #expect(listed.intervals.map(\.eventId) == ["planning@example.com", "call@example.com"])
        #expect(listed.intervals.allSatisfy { $0.source == "caldav:anna" && $0.consultantId == "anna" })

        // A source's next list replaces its last; another source's stays.
        let _: BusyReplaceReply = try await availability.call(MessageType.busyReplace, BusyReplaceRequest(
            consultantId: "anna", source: "google:anna",
            intervals: [BusyIntervalBody(start: Self.instant("2026-12-03T10:00:00+03:00"), end: Self.instant("2026-12-03T11:00:00+03:00"))]))
        let emptied: BusyReplaceReply = try await availability.call(MessageType.busyReplace, BusyReplaceRequest(consultantId: "anna", source: "caldav:anna", intervals: []))
        #expect(emptied.count == 0 && emptied.conflicts.isEmpty)
        #expect(try await Self.freeAt(availability, "2026-12-02T11:30:00+03:00", consultant: "anna"))
        let remaining: BusyReply = try await availability.call(MessageType.busy, BusyRequest())
        #expect(remaining.intervals.map(\.source) == ["google:anna"])

        for (bad, field) in [
            (BusyReplaceRequest(consultantId: "anna", source: "bad source", intervals: []), "source"),
            (BusyReplaceRequest(consultantId: "zoe", source: "caldav:zoe", intervals: []), "consultant_id"),
            (BusyReplaceRequest(consultantId: "anna", source: "caldav:anna", intervals: [
                BusyIntervalBody(start: Self.instant("2026-12-02T12:00:00+03:00"), end: Self.instant("2026-12-02T11:00:00+03:00")),
            ]), "intervals.0.end"),
        ] {
            do {
                let _: BusyReplaceReply = try await availability.call(MessageType.busyReplace, bad)
                Issue.record("accepted \(bad)")
            } catch let error as ProtocolError {
                #expect(error.field == field, "\(error)")
            }
        }
        let after: BusyReply = try await availability.call(MessageType.busy, BusyRequest())
        #expect(after == remaining, "a refused list changes nothing")
        try await suite.stop()
    }
}
