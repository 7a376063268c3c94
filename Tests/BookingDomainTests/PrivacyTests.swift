import Foundation
import Testing
@testable import BookingDomain

@Suite("Retention and erasure records")
struct PrivacyTests {
    static let start = instant("2026-03-03T10:00:00+03:00")
    static let end = start.addingTimeInterval(3600)
    static let cancelledAt = instant("2026-03-01T09:00:00+03:00")
    static let day: TimeInterval = 86_400

    @Test func theDefaultPeriodIsThirtyDays() {
        #expect(RetentionRule().days == 30)
        #expect(RetentionRule.defaultDays == 30)
    }

    /// Every status, before the start, during, at the end and long after.
    @Test(arguments: AppointmentStatus.allCases)
    func purposeAchieved(_ status: AppointmentStatus) {
        for now in [Self.start.addingTimeInterval(-Self.day), Self.start, Self.end.addingTimeInterval(-1), Self.end,
                    Self.end.addingTimeInterval(1), Self.end.addingTimeInterval(400 * Self.day)] {
            let achieved = RetentionRule.purposeAchieved(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: now)
            switch status {
            case .scheduled:
                #expect(achieved == nil, "a hold is never done with")
            case .confirmed:
                #expect(achieved == (now >= Self.end ? Self.end : nil))
            case .completed, .noShow:
                #expect(achieved == Self.end)
            case .cancelled:
                #expect(achieved == Self.cancelledAt)
            }
        }
    }

    /// Due exactly `days` after the purpose was achieved, not a millisecond before.
    @Test(arguments: [AppointmentStatus.confirmed, .completed, .noShow])
    func dueAfterTheEnd(_ status: AppointmentStatus) {
        let rule = RetentionRule(days: 30)
        let due = Self.end.addingTimeInterval(30 * Self.day)
        #expect(rule.dueAt(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: due) == due)
        #expect(!rule.isDue(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: due.addingTimeInterval(-0.001)))
        #expect(rule.isDue(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: due))
        #expect(rule.isDue(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: due.addingTimeInterval(Self.day)))
    }

    @Test func aCancelledAppointmentIsDueAfterItsCancellationEvenBeforeItsSlot() {
        let rule = RetentionRule(days: 30)
        let farEnd = Self.cancelledAt.addingTimeInterval(200 * Self.day)
        let due = Self.cancelledAt.addingTimeInterval(30 * Self.day)
        #expect(!rule.isDue(status: .cancelled, end: farEnd, updatedAt: Self.cancelledAt, now: due.addingTimeInterval(-1)))
        #expect(rule.isDue(status: .cancelled, end: farEnd, updatedAt: Self.cancelledAt, now: due))
    }

    @Test(arguments: [AppointmentStatus.scheduled, .confirmed])
    func activeFutureAppointmentsAreNeverDue(_ status: AppointmentStatus) {
        let rule = RetentionRule(days: 0)
        #expect(!rule.isDue(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: Self.start))
        #expect(rule.dueAt(status: status, end: Self.end, updatedAt: Self.cancelledAt, now: Self.start) == nil)
    }

    @Test func aHoldIsNeverDueEvenPastItsSlot() {
        #expect(!RetentionRule(days: 0).isDue(status: .scheduled, end: Self.end, updatedAt: Self.cancelledAt, now: Self.end.addingTimeInterval(999 * Self.day)))
    }

    @Test func zeroDaysIsDueAtTheEnd() {
        #expect(RetentionRule(days: 0).isDue(status: .completed, end: Self.end, updatedAt: Self.cancelledAt, now: Self.end))
    }

    @Test func theCutoffIsTheRulesPeriodBack() {
        let now = Self.end.addingTimeInterval(45 * Self.day)
        #expect(RetentionRule(days: 30).cutoff(now: now) == Self.end.addingTimeInterval(15 * Self.day))
    }

    @Test func anAppointmentIsJudgedByItsOwnTimes() {
        let appointment = AppointmentTests.appointment(in: .completed)
        let rule = RetentionRule(days: 30)
        #expect(!rule.isDue(appointment, now: appointment.timeSlot.end.addingTimeInterval(29 * Self.day)))
        #expect(rule.isDue(appointment, now: appointment.timeSlot.end.addingTimeInterval(30 * Self.day)))
    }

    @Test func anErasedAppointmentKeepsEverythingButItsPersonalData() {
        let appointment = AppointmentTests.appointment(in: .completed)
        let erasedAt = appointment.timeSlot.end.addingTimeInterval(31 * Self.day)
        let erased = appointment.erased(at: erasedAt)
        #expect(erased.contactInfo == .erased)
        #expect(erased.contactInfo.isErased)
        #expect(!appointment.contactInfo.isErased)
        #expect(erased.topic == nil)
        #expect(erased.erasedAt == erasedAt)
        #expect(appointment.erasedAt == nil)
        #expect(erased.id == appointment.id && erased.clientId == appointment.clientId && erased.status == appointment.status)
        #expect(erased.timeSlot == appointment.timeSlot && erased.bookingReference == appointment.bookingReference)
        #expect(erased.revision == appointment.revision && erased.updatedAt == appointment.updatedAt)
    }

    @Test func noValidationMakesTheErasedContact() {
        #expect(throws: ValidationError.self) { try ContactInfo.validated(name: "", email: "", phone: "") }
        #expect(throws: ValidationError.self) { try ContactInfo.restored(name: "", email: "", phone: "", company: nil) }
        #expect(ContactInfo.erased.name.isEmpty && ContactInfo.erased.email.isEmpty && ContactInfo.erased.phone.isEmpty)
        #expect(ContactInfo.erased.company == nil)
    }

    @Test func anErasureRecordHoldsNoPersonalData() throws {
        let record = ErasureRecord(id: UUID(), at: Self.end, user: "admin", reason: .request, clientIds: [AppointmentTests.clientId],
                                   appointments: 2, historyEntries: 3, idempotencyRecords: 1, clientKeys: 1, cancelled: 1)
        let json = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        let contact = AppointmentTests.contact()
        for personal in [contact.name, contact.email, contact.phone, "Анна", "anna"] {
            #expect(!json.contains(personal))
        }
        #expect(try JSONDecoder().decode(ErasureRecord.self, from: Data(json.utf8)) == record)
        #expect(!record.erasedNothing)
    }

    @Test func aRepeatErasesNothing() {
        let nothing = ErasureRecord(id: UUID(), at: Self.end, user: "admin", reason: .request, clientIds: [], appointments: 0,
                                    historyEntries: 0, idempotencyRecords: 0, clientKeys: 0)
        #expect(nothing.erasedNothing)
        for (keyPath, label) in [(\ErasureRecord.appointments, "appointments"), (\.historyEntries, "history"), (\.idempotencyRecords, "idempotency"),
                                 (\.clientKeys, "keys"), (\.cancelled, "cancelled")] {
            var one = nothing
            one[keyPath: keyPath] = 1
            #expect(!one.erasedNothing, "\(label)")
        }
    }

    @Test func reasonsOnTheWire() {
        #expect(ErasureReason.allCases.map(\.rawValue) == ["request", "retention"])
    }
}
