import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
@testable import NotificationService
import Notifications
import SuiteTesting
import Testing

/// calsyncd's `calendar_conflict`: the consultant (by email, in their language and zone) and the
/// team (@chat, the reference masked) are told once per conflict id; nothing is cancelled.
@Suite(.serialized) struct CalendarConflictNoticeTests {
    static let start = ISO8601.parseInstant("2026-12-02T11:00:00+03:00")!

    static func conflict(id: String = "overlap-anna-1", kind: String = "overlap", consultant: String = "anna", reference: String?,
                         eventStart: Date? = nil) -> CalendarConflictNotice {
        CalendarConflictNotice(conflict: CalendarConflictBody(
            id: id, consultantId: consultant, kind: kind, reference: reference, start: start, eventId: "meeting-1@example.com", eventStart: eventStart,
            foundAt: ISO8601.parseInstant("2026-12-01T08:00:00+03:00")!))
    }

    /// An email's text part as its reader sees it (the file holds it quoted-printable).
    static func readable(_ email: String) -> String {
        let joined = email.replacingOccurrences(of: "=\r\n", with: "")
        var bytes: [UInt8] = []
        var index = joined.utf8.startIndex
        let utf8 = joined.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "="), let end = utf8.index(index, offsetBy: 3, limitedBy: utf8.endIndex),
               let value = UInt8(String(decoding: utf8[utf8.index(after: index)..<end], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index = end
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func refusal(_ notifyd: DaemonClient, _ notice: CalendarConflictNotice) async -> ProtocolError? {
        do {
            let _: CalendarConflictNoticeReply = try await notifyd.call(MessageType.calendarConflict, notice)
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    @Test func aConflictIsToldToTheConsultantAndTheTeamOnce() async throws {
        var options = InProcessSuite.Options()
        options.daemons = [.availabilityd, .bookingd, .notifyd]
        let suite = try await InProcessSuite.start(options)
        let booked = try await HoldNotificationTests.book(try await suite.client(.bookingd))
        _ = try await NotificationFlowTests.waitForEmails(suite, count: 2)
        let notifyd = try await suite.client(.notifyd)

        let first: CalendarConflictNoticeReply = try await notifyd.call(MessageType.calendarConflict, Self.conflict(reference: booked.reference))
        #expect(first.queued == 2, "the consultant's email and the team chat's message")
        let again: CalendarConflictNoticeReply = try await notifyd.call(MessageType.calendarConflict, Self.conflict(reference: booked.reference))
        #expect(again.queued == 0, "told once per conflict id")

        let emails = try await NotificationFlowTests.waitForEmails(suite, count: 3)
        let notice = try #require(emails.values.first { $0.contains("X-Booking-Purpose: consultant-calendar-conflict") })
        #expect(notice.contains("To: ") && notice.contains("anna@example.com"))
        // anna has no locale of her own: the suite's language, and her zone (the calendar's).
        let text = Self.readable(notice)
        #expect(text.contains("Consultant anna, ваш календарь расходится с записью на консультацию."), "\(text)")
        #expect(text.contains("В вашем календаре есть встреча в то же время, что и консультация."))
        #expect(text.contains("Время консультации: среда, 2 декабря 2026, 11:00 (Москва)"))
        #expect(text.contains("Номер записи: \(booked.reference)"))
        #expect(text.contains("Ничего не отменено"))

        let chat = try FileManager.default.contentsOfDirectory(atPath: suite.mailDirectory).filter { $0.contains("team-calendar-conflict") }
        #expect(chat.count == 1, "\(chat)")
        let posted = try String(contentsOfFile: suite.mailDirectory + "/" + (chat.first ?? ""), encoding: .utf8)
        // Masked, and the mask's stars escaped for the chat's markdown.
        #expect(posted.contains("Расхождение с календарём \(BookingReference.masked(booked.reference).prefix(8))") && !posted.contains(booked.reference),
                "\(posted)")

        // Sent through the dispatcher like every message, and listed with the booking's.
        var listed: [NotificationBody] = []
        for _ in 0..<100 {
            let reply: NotificationsReply = try await notifyd.call(MessageType.notifications, NotificationsRequest(reference: booked.reference))
            listed = reply.notifications.filter { $0.purpose.hasSuffix("calendar-conflict") }
            if listed.count == 2, listed.allSatisfy({ $0.state == "sent" }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(listed.map(\.purpose).sorted() == ["consultant-calendar-conflict", "team-calendar-conflict"])
        #expect(listed.allSatisfy { $0.state == "sent" }, "\(listed.map(\.state))")

        // Another conflict about the same booking is told too.
        let moved: CalendarConflictNoticeReply = try await notifyd.call(
            MessageType.calendarConflict,
            Self.conflict(id: "moved-anna-1", kind: "moved", reference: booked.reference, eventStart: Self.start.addingTimeInterval(3600)))
        #expect(moved.queued == 2)
        try await suite.stop()
    }

    @Test func aBadNoticeIsRefusedAndQueuesNothing() async throws {
        var options = InProcessSuite.Options()
        options.daemons = [.availabilityd, .bookingd, .notifyd]
        let suite = try await InProcessSuite.start(options)
        let notifyd = try await suite.client(.notifyd)
        let cases: [(CalendarConflictNotice, ErrorCode, String)] = [
            (Self.conflict(kind: "shifted", reference: nil), .validationFailed, "conflict.kind"),
            (Self.conflict(id: "", reference: nil), .validationFailed, "conflict.id"),
            (Self.conflict(id: String(repeating: "x", count: 201), reference: nil), .validationFailed, "conflict.id"),
            (Self.conflict(consultant: "nobody", reference: nil), .notFound, "conflict.consultant_id"),
            (Self.conflict(reference: "BK-NOT-A-REFERENCE"), .invalidReference, "conflict.reference"),
        ]
        for (notice, code, field) in cases {
            let refused = await Self.refusal(notifyd, notice)
            #expect(refused?.code == code && refused?.field == field, "\(notice.conflict): \(String(describing: refused))")
        }
        // An overlap found by time alone has no reference: told all the same.
        let told: CalendarConflictNoticeReply = try await notifyd.call(MessageType.calendarConflict, Self.conflict(id: String(repeating: "x", count: 200), reference: nil))
        #expect(told.queued == 2)
        try await suite.stop()
    }

    /// The shipped templates in both languages, for each kind.
    @Test func theNoticeSaysWhatConflictsAndThatNothingWasCancelled() throws {
        let library = try TemplateLibrary.load(directory: SuiteFiles.repositoryRoot + "/config/templates")
        let reference = "BK-7Q2M-X9TD-4KHN-ZP3CG"
        func facts(_ kind: CalendarConflictKind, _ locale: SupportedLocale, reference: String? = reference) -> CalendarConflictFacts {
            let notice = Self.conflict(kind: kind.rawValue, reference: reference, eventStart: kind == .moved ? Self.start.addingTimeInterval(7200) : nil)
            return CalendarConflictFacts(kind: kind, conflict: notice.conflict, consultant: Consultant(
                id: "anna", name: "Anna Berg", email: "anna@example.com", timeZone: "Europe/Berlin", locale: locale))
        }

        let english = try library.calendarConflictEmail(facts(.moved, .en))
        #expect(english.subject == "A consultation was moved in your calendar: 2 Dec 2026, 09:00 (Berlin)")
        #expect(english.text.contains("The consultation's event was moved in your calendar to Wednesday, 2 December 2026, 11:00 (Berlin); the booking is still at its time."),
                "\(english.text)")
        #expect(english.text.contains("Consultation time: Wednesday, 2 December 2026, 09:00 (Berlin)"))
        #expect(english.text.contains("Booking reference: \(reference)"))
        #expect(english.text.contains("Nothing was cancelled"))
        #expect(english.html.contains("Nothing was cancelled") && english.html.contains(reference))

        let russian = try library.calendarConflictEmail(facts(.deleted, .ru))
        #expect(russian.subject == "Консультация удалена из вашего календаря: 02.12.2026, 09:00 (Берлин)")
        #expect(russian.text.contains("Событие консультации удалено из вашего календаря, а запись осталась."), "\(russian.text)")
        #expect(russian.text.contains("Время консультации: среда, 2 декабря 2026, 09:00 (Берлин)"))
        #expect(russian.text.contains("Ничего не отменено"))

        let overlap = try library.calendarConflictEmail(facts(.overlap, .en, reference: nil))
        #expect(overlap.text.contains("Your calendar has a meeting at the same time as the consultation."))
        #expect(!overlap.text.contains("Booking reference"), "no reference, no line for it")

        // The team reads the suite's language, the reference masked.
        let team = try library.calendarConflictChat(facts(.overlap, .en), markup: .plain)
        #expect(team.hasPrefix("Расхождение с календарём BK-7Q2M-****-****-****G: 02.12.2026, 09:00 (Берлин), консультант Anna Berg."), "\(team)")
        #expect(team.contains("bookctl reschedule") && !team.contains(reference))
    }
}
