import Foundation
import RequestHistory
import Testing

/// Hand-made histories: each promise kept, and each broken in the way a drill could break it.
struct HistoryCheckerTests {
    let t0 = Date(timeIntervalSince1970: 1_796_000_000)
    let ten = Date(timeIntervalSince1970: 1_796_100_000)
    let eleven = Date(timeIntervalSince1970: 1_796_103_600)

    func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    func request(_ operation: RecordedRequest.Operation, client: String = "c1", key: String = "k1", invoked: TimeInterval = 0,
                 outcome: RecordedRequest.Outcome, answered: TimeInterval = 0.1) -> RecordedRequest {
        RecordedRequest(client: client, operation: operation, idempotencyKey: key, deadline: at(invoked + 2), invokedAt: at(invoked),
                        outcome: outcome, answeredAt: at(answered))
    }

    func appointment(_ reference: String, contact: String, consultant: String = "anna", start: Date, active: Bool = true,
                     changes: [StoredAppointment.Change]) -> StoredAppointment {
        StoredAppointment(reference: reference, contact: contact, consultantId: consultant, start: start, end: start.addingTimeInterval(3600),
                          active: active, changes: changes)
    }

    func created(_ seconds: TimeInterval) -> StoredAppointment.Change { .init(kind: .created, committedAt: at(seconds)) }

    @Test func aCleanHistoryHasNoViolation() {
        let requests = [
            request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten)),
            request(.book(contact: "b", start: ten), client: "c2", key: "k2", outcome: .refused(code: "slot_unavailable")),
            request(.reschedule(reference: "BK-1", start: eleven), key: "k3", invoked: 1, outcome: .ok(reference: "BK-1", start: eleven), answered: 1.1),
            request(.book(contact: "c", start: ten), client: "c3", key: "k4", invoked: 2, outcome: .noAnswer, answered: 4),
        ]
        let final = [
            appointment("BK-1", contact: "a", start: eleven, changes: [created(0.05), .init(kind: .rescheduled(to: eleven), committedAt: at(1.05))]),
            appointment("BK-2", contact: "c", start: ten, changes: [created(3)]),
        ]
        #expect(HistoryChecker().violations(requests: requests, final: final).isEmpty)
    }

    @Test func twoActiveAppointmentsOnOneSlotAreADoubleBooking() {
        let final = [
            appointment("BK-1", contact: "a", start: ten, changes: [created(0.05)]),
            appointment("BK-2", contact: "b", start: ten.addingTimeInterval(1800), changes: [created(0.06)]),
            appointment("BK-3", contact: "c", consultant: "boris", start: ten, changes: [created(0.07)]),
        ]
        let violations = HistoryChecker().violations(requests: [], final: final)
        #expect(violations.map(\.promise) == [.noDoubleBooking])
        #expect(violations.first?.description.contains("BK-1 and BK-2") == true)
        #expect(violations.first?.description.contains("slot anna") == true)
    }

    @Test func aCancelledAppointmentFreesItsSlot() {
        let final = [
            appointment("BK-1", contact: "a", start: ten, active: false, changes: [created(0.05)]),
            appointment("BK-2", contact: "b", start: ten, changes: [created(0.06)]),
        ]
        #expect(HistoryChecker().violations(requests: [], final: final).isEmpty)
    }

    @Test func anAcknowledgedBookingMissingFromTheStoreIsLost() {
        let requests = [request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten))]
        let violations = HistoryChecker().violations(requests: requests, final: [])
        #expect(violations.map(\.promise) == [.noLostAcknowledgement])
        #expect(violations.first?.description.contains("BK-1 is not in the store") == true)
        #expect(violations.first?.description.contains("key k1") == true)
    }

    @Test func anAcknowledgedRescheduleOrCancelMustShow() {
        let rescheduled = [
            request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten)),
            request(.reschedule(reference: "BK-1", start: eleven), key: "k2", invoked: 1, outcome: .ok(reference: "BK-1", start: eleven)),
        ]
        let stillAtTen = [appointment("BK-1", contact: "a", start: ten, changes: [created(0.05)])]
        #expect(HistoryChecker().violations(requests: rescheduled, final: stillAtTen).map(\.promise) == [.noLostAcknowledgement])

        let cancelled = [
            request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten)),
            request(.cancel(reference: "BK-1"), key: "k2", invoked: 1, outcome: .ok(reference: "BK-1", start: ten)),
        ]
        #expect(HistoryChecker().violations(requests: cancelled, final: stillAtTen).map(\.promise) == [.noLostAcknowledgement])
    }

    @Test func anUnansweredRequestAfterTheAcknowledgedOneMayGoEitherWay() {
        let requests = [
            request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten)),
            request(.cancel(reference: "BK-1"), key: "k2", invoked: 1, outcome: .noAnswer, answered: 3),
        ]
        let kept = [appointment("BK-1", contact: "a", start: ten, changes: [created(0.05)])]
        let cancelled = [appointment("BK-1", contact: "a", start: ten, active: false,
                                     changes: [created(0.05), .init(kind: .cancelled, committedAt: at(1.5))])]
        #expect(HistoryChecker().violations(requests: requests, final: kept).isEmpty)
        #expect(HistoryChecker().violations(requests: requests, final: cancelled).isEmpty)
    }

    @Test func aBookingCommittedAfterEveryDeadlineOfItsRequestsIsLate() {
        // The ghost booking: the client gave up at 2 s and retried until 6 s; the commit came at 10 s.
        let requests = [
            request(.book(contact: "a", start: ten), invoked: 0, outcome: .noAnswer, answered: 2),
            request(.book(contact: "a", start: ten), invoked: 2, outcome: .noAnswer, answered: 4),
            request(.book(contact: "a", start: ten), invoked: 4, outcome: .noAnswer, answered: 6),
        ]
        let final = [appointment("BK-1", contact: "a", start: ten, changes: [created(10)])]
        let violations = HistoryChecker().violations(requests: requests, final: final)
        #expect(violations.map(\.promise) == [.noCommitAfterDeadline])
        #expect(violations.first?.description.contains("4.000 s after the deadline") == true)
        #expect(HistoryChecker(checksDeadlines: false).violations(requests: requests, final: final).isEmpty)
    }

    @Test func aCommitWithinTheRetrysDeadlineIsInTime() {
        let requests = [
            request(.book(contact: "a", start: ten), invoked: 0, outcome: .noAnswer, answered: 2),
            request(.book(contact: "a", start: ten), invoked: 2, outcome: .ok(reference: "BK-1", start: ten), answered: 3.5),
        ]
        let final = [appointment("BK-1", contact: "a", start: ten, changes: [created(3.4)])]
        #expect(HistoryChecker().violations(requests: requests, final: final).isEmpty)
    }

    @Test func aLateRescheduleOrCancelIsLateToo() {
        let requests = [
            request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten)),
            request(.reschedule(reference: "BK-1", start: eleven), key: "k2", invoked: 1, outcome: .noAnswer, answered: 3),
            request(.cancel(reference: "BK-1"), key: "k3", invoked: 4, outcome: .noAnswer, answered: 6),
        ]
        let final = [appointment("BK-1", contact: "a", start: eleven, active: false, changes: [
            created(0.05), .init(kind: .rescheduled(to: eleven), committedAt: at(3.5)), .init(kind: .cancelled, committedAt: at(6.5)),
        ])]
        let violations = HistoryChecker().violations(requests: requests, final: final)
        #expect(violations.map(\.promise) == [.noCommitAfterDeadline, .noCommitAfterDeadline])
    }

    @Test func aRefusedBookingThatExistsIsReported() {
        let requests = [
            request(.book(contact: "a", start: ten), invoked: 0, outcome: .noAnswer, answered: 2),
            request(.book(contact: "a", start: ten), invoked: 2, outcome: .refused(code: "unavailable"), answered: 2.5),
        ]
        let final = [appointment("BK-1", contact: "a", start: ten, changes: [created(1)])]
        // One request was unanswered: it may have made the booking.
        #expect(HistoryChecker().violations(requests: requests, final: final).isEmpty)

        let refusedOnly = [request(.book(contact: "a", start: ten), outcome: .refused(code: "unavailable"))]
        let violations = HistoryChecker().violations(requests: refusedOnly, final: final)
        #expect(violations.map(\.promise) == [.noRefusedChangeDone])
        #expect(violations.first?.description.contains("refused unavailable") == true)
    }

    @Test func aRefusedCancelThatWasDoneIsReported() {
        let requests = [
            request(.book(contact: "a", start: ten), outcome: .ok(reference: "BK-1", start: ten)),
            request(.cancel(reference: "BK-1"), key: "k2", invoked: 1, outcome: .refused(code: "invalid_transition")),
        ]
        let final = [appointment("BK-1", contact: "a", start: ten, active: false,
                                 changes: [created(0.05), .init(kind: .cancelled, committedAt: at(1.05))])]
        // The acknowledged booking is gone too: nothing acknowledged came after it.
        #expect(HistoryChecker().violations(requests: requests, final: final).map(\.promise) == [.noLostAcknowledgement, .noRefusedChangeDone])
    }
}
