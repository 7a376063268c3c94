import Foundation
import Testing
@testable import BookingDomain
import SeededRandom

@Suite("Appointments and their state machine")
struct AppointmentTests {
    static let id = UUID(uuidString: "00000000-0000-0000-0000-0000000000A1")!
    static let clientId = UUID(uuidString: "00000000-0000-0000-0000-0000000000C1")!
    static let slot = range(msk("2026-03-03 10:00"))
    static let bookedAt = msk("2026-03-02 12:00")

    static func contact() -> ContactInfo {
        try! ContactInfo.validated(name: "Анна Петрова", email: "anna@example.com", phone: "+7 (916) 123-45-67")
    }

    static func reference() -> BookingReference {
        var generator = SeededGenerator(seed: 1)
        return BookingReference.generate(using: &generator)
    }

    static func booked() -> Appointment {
        Appointment.book(id: id, clientId: clientId, slot: TimeSlot(range: slot, consultantId: "anna"), contactInfo: contact(),
                         reference: reference(), clientTimeZone: "Europe/Berlin", locale: "en", actor: .client, at: bookedAt).0
    }

    static func appointment(in status: AppointmentStatus) -> Appointment {
        Appointment(id: id, clientId: clientId, consultantId: "anna", timeSlot: slot, contactInfo: contact(), status: status,
                    bookingReference: reference(), createdAt: bookedAt, updatedAt: bookedAt, reminderSent: false,
                    clientTimeZone: "Europe/Berlin", locale: "en")
    }

    @Test func wireNames() {
        #expect(AppointmentStatus.allCases.map(\.rawValue) == ["scheduled", "confirmed", "cancelled", "completed", "no_show"])
        #expect(AppointmentStatus.allCases.filter(\.isActive) == [.scheduled, .confirmed])
        #expect(TransitionKind.allCases.map(\.rawValue)
                == ["created", "rescheduled", "cancelled", "attended", "no_show", "reminder_sent", "confirmed", "released"])
        #expect(Actor.allCases.map(\.rawValue) == ["client", "admin", "system"])
    }

    @Test func theTransitionTable() {
        #expect(AppointmentStatus.allowedTransitions == [
            .scheduled: [.scheduled, .confirmed, .cancelled],
            .confirmed: [.confirmed, .cancelled, .completed, .noShow],
            .cancelled: [], .completed: [.noShow], .noShow: [.completed],
        ])
        for from in AppointmentStatus.allCases {
            for to in AppointmentStatus.allCases {
                let allowed = switch from {
                case .confirmed: to != .scheduled
                case .scheduled: [.scheduled, .confirmed, .cancelled].contains(to)
                // A mark can be corrected to the other outcome, never undone.
                case .completed: to == .noShow
                case .noShow: to == .completed
                case .cancelled: false
                }
                #expect(from.canTransition(to: to) == allowed, "\(from) -> \(to)")
            }
        }
    }

    @Test func bookingCreatesAConfirmedAppointment() {
        let (appointment, transition) = Appointment.book(
            id: Self.id, clientId: Self.clientId, slot: TimeSlot(range: Self.slot, consultantId: "anna"), contactInfo: Self.contact(),
            reference: Self.reference(), clientTimeZone: "Europe/Berlin", locale: "en", actor: .admin, reason: "phone call", at: Self.bookedAt)
        #expect(appointment == Self.appointment(in: .confirmed))
        #expect(appointment.slot == TimeSlot(range: Self.slot, consultantId: "anna"))
        #expect(transition == Transition(appointmentId: Self.id, kind: .created, fromStatus: nil, toStatus: .confirmed,
                                         newSlot: Self.slot, newConsultantId: "anna", actor: .admin, reason: "phone call", at: Self.bookedAt))
    }

    /// Each action, what it aims at, and how to run it on an appointment whose slot has begun.
    static let actions: [(TransitionKind, AppointmentStatus, @Sendable (inout Appointment) throws(TransitionError) -> Transition)] = [
        (.rescheduled, .confirmed, { (a: inout Appointment) throws(TransitionError) in
            try a.reschedule(to: range(msk("2026-03-04 11:00")), consultantId: "boris", actor: .client, reason: "clash", at: msk("2026-03-03 10:05")) }),
        (.cancelled, .cancelled, { (a: inout Appointment) throws(TransitionError) in
            try a.cancel(actor: .client, reason: "no longer needed", at: msk("2026-03-03 10:05")) }),
        (.attended, .completed, { (a: inout Appointment) throws(TransitionError) in
            try a.complete(actor: .admin, at: msk("2026-03-03 10:05")) }),
        (.noShow, .noShow, { (a: inout Appointment) throws(TransitionError) in
            try a.markNoShow(actor: .system, at: msk("2026-03-03 10:05")) }),
    ]

    @Test func everyStatusAgainstEveryAction() throws {
        for status in AppointmentStatus.allCases {
            for (kind, aim, action) in Self.actions {
                // A reschedule keeps a hold a hold.
                let target = kind == .rescheduled && status == .scheduled ? .scheduled : aim
                var appointment = Self.appointment(in: status)
                if status.canTransition(to: target) {
                    let transition = try action(&appointment)
                    #expect(transition.kind == kind && transition.fromStatus == status && transition.toStatus == target)
                    #expect(appointment.status == target && appointment.updatedAt == msk("2026-03-03 10:05"))
                } else {
                    #expect(throws: TransitionError.invalidTransition(from: status, to: target), "\(status) \(kind)") {
                        try action(&appointment)
                    }
                    #expect(appointment == Self.appointment(in: status))  // untouched
                }
            }
        }
    }

    @Test func reschedule() throws {
        var appointment = Self.booked()
        _ = try appointment.markReminderSent(at: msk("2026-03-02 13:00"))
        let newSlot = range(msk("2026-03-04 11:00"))
        let transition = try appointment.reschedule(to: newSlot, consultantId: "boris", actor: .admin, reason: "consultant ill", at: msk("2026-03-02 14:00"))
        #expect(transition == Transition(
            appointmentId: Self.id, kind: .rescheduled, fromStatus: .confirmed, toStatus: .confirmed,
            oldSlot: Self.slot, newSlot: newSlot, oldConsultantId: "anna", newConsultantId: "boris",
            actor: .admin, reason: "consultant ill", at: msk("2026-03-02 14:00")))
        #expect(appointment.timeSlot == newSlot && appointment.consultantId == "boris")
        #expect(appointment.bookingReference == Self.reference())
        #expect(!appointment.reminderSent)  // the reminder was for the old time
        #expect(appointment.status == .confirmed && appointment.createdAt == Self.bookedAt && appointment.updatedAt == msk("2026-03-02 14:00"))
        // The same time with another consultant is a real change; the same slot is not.
        _ = try appointment.reschedule(to: newSlot, consultantId: "anna", actor: .admin, at: msk("2026-03-02 15:00"))
        #expect(throws: TransitionError.sameSlot(TimeSlot(range: newSlot, consultantId: "anna"))) {
            try appointment.reschedule(to: newSlot, consultantId: "anna", actor: .client, at: msk("2026-03-02 16:00"))
        }
    }

    @Test func cancelRecordsTheFreedSlot() throws {
        var appointment = Self.booked()
        let transition = try appointment.cancel(actor: .system, reason: "day blocked: training", at: msk("2026-03-02 18:00"))
        #expect(transition == Transition(appointmentId: Self.id, kind: .cancelled, fromStatus: .confirmed, toStatus: .cancelled,
                                         oldSlot: Self.slot, oldConsultantId: "anna", actor: .system, reason: "day blocked: training",
                                         at: msk("2026-03-02 18:00")))
        #expect(appointment.status == .cancelled && !appointment.status.isActive)
    }

    @Test func completionAndNoShowWaitForTheStart() throws {
        var appointment = Self.booked()
        #expect(throws: TransitionError.notStarted(kind: .attended, startsAt: Self.slot.start)) {
            try appointment.complete(actor: .admin, at: msk("2026-03-03 09:59"))
        }
        #expect(throws: TransitionError.notStarted(kind: .noShow, startsAt: Self.slot.start)) {
            try appointment.markNoShow(actor: .admin, at: msk("2026-03-03 09:59"))
        }
        #expect(appointment.status == .confirmed)
        let transition = try appointment.markNoShow(actor: .system, reason: "did not join", at: Self.slot.start)
        #expect(transition == Transition(appointmentId: Self.id, kind: .noShow, fromStatus: .confirmed, toStatus: .noShow,
                                         actor: .system, reason: "did not join", at: Self.slot.start))
    }

    /// A consultant who marked the wrong outcome corrects it; each mark is a history entry and a
    /// change of the SEQUENCE, and a cancelled or held appointment has no outcome to mark.
    @Test func anOutcomeIsMarkedAfterTheStartAndCanBeCorrected() throws {
        var appointment = Self.booked()
        #expect(throws: TransitionError.notStarted(kind: .noShow, startsAt: Self.slot.start)) {
            try appointment.markNoShow(actor: .admin, at: msk("2026-03-03 09:59"))
        }
        let attended = try appointment.complete(actor: .admin, reason: "came", at: msk("2026-03-03 10:40"))
        #expect(attended.kind == .attended && attended.fromStatus == .confirmed && attended.toStatus == .completed && attended.reason == "came")
        let corrected = try appointment.markNoShow(actor: .admin, at: msk("2026-03-03 10:45"))
        #expect(corrected.kind == .noShow && corrected.fromStatus == .completed && corrected.toStatus == .noShow)
        #expect(appointment.status == .noShow && appointment.revision == 2 && appointment.updatedAt == msk("2026-03-03 10:45"))
        #expect(throws: TransitionError.invalidTransition(from: .noShow, to: .noShow)) { try appointment.markNoShow(actor: .admin, at: msk("2026-03-03 11:00")) }
        #expect(throws: TransitionError.invalidTransition(from: .noShow, to: .cancelled)) { try appointment.cancel(actor: .admin, at: msk("2026-03-03 11:00")) }
        for status in [AppointmentStatus.cancelled, .scheduled] {
            var other = Self.appointment(in: status)
            #expect(throws: TransitionError.invalidTransition(from: status, to: .completed)) { try other.complete(actor: .admin, at: msk("2026-03-03 10:40")) }
        }
    }

    @Test func reminders() throws {
        var appointment = Self.booked()
        let transition = try appointment.markReminderSent(at: msk("2026-03-02 13:00"))
        #expect(transition == Transition(appointmentId: Self.id, kind: .reminderSent, fromStatus: .confirmed, toStatus: .confirmed,
                                         actor: .system, at: msk("2026-03-02 13:00")))
        #expect(appointment.reminderSent && appointment.updatedAt == msk("2026-03-02 13:00"))
        #expect(throws: TransitionError.reminderAlreadySent) { try appointment.markReminderSent(at: msk("2026-03-02 14:00")) }
        for status in [AppointmentStatus.cancelled, .completed, .noShow] {
            var finished = Self.appointment(in: status)
            #expect(throws: TransitionError.reminderNotApplicable(status)) { try finished.markReminderSent(at: msk("2026-03-02 14:00")) }
        }
    }

    static let holdEnd = msk("2026-03-02 12:30")

    static func held() -> Appointment {
        Appointment.book(id: id, clientId: clientId, slot: TimeSlot(range: slot, consultantId: "anna"), contactInfo: contact(),
                         reference: reference(), clientTimeZone: "Europe/Berlin", locale: "en", holdUntil: holdEnd, actor: .client, at: bookedAt).0
    }

    @Test func aHoldIsScheduledUntilItsEnd() {
        let (appointment, transition) = Appointment.book(
            id: Self.id, clientId: Self.clientId, slot: TimeSlot(range: Self.slot, consultantId: "anna"), contactInfo: Self.contact(),
            reference: Self.reference(), clientTimeZone: "Europe/Berlin", locale: "en", holdUntil: Self.holdEnd, actor: .client, at: Self.bookedAt)
        #expect(appointment.status == .scheduled && appointment.status.isActive && appointment.holdExpiresAt == Self.holdEnd)
        #expect(transition == Transition(appointmentId: Self.id, kind: .created, fromStatus: nil, toStatus: .scheduled,
                                         newSlot: Self.slot, newConsultantId: "anna", actor: .client, at: Self.bookedAt))
        #expect(Self.booked().holdExpiresAt == nil)
    }

    @Test func theClientConfirmsBeforeTheHoldEnds() throws {
        var appointment = Self.held()
        let at = msk("2026-03-02 12:29")
        let transition = try appointment.confirm(actor: .client, at: at)
        #expect(transition == Transition(appointmentId: Self.id, kind: .confirmed, fromStatus: .scheduled, toStatus: .confirmed, actor: .client, at: at))
        #expect(appointment.status == .confirmed && appointment.holdExpiresAt == nil && appointment.revision == 1 && appointment.updatedAt == at)
        // Confirmed once is confirmed: a second confirmation is not a change.
        #expect(throws: TransitionError.invalidTransition(from: .confirmed, to: .confirmed)) { try appointment.confirm(actor: .client, at: at) }
        // Now it is an ordinary appointment: reminders, completion.
        _ = try appointment.markReminderSent(at: at)
        _ = try appointment.complete(actor: .admin, at: Self.slot.start)
    }

    @Test func aConfirmationAtOrAfterTheEndIsRefused() {
        for at in [Self.holdEnd, msk("2026-03-02 13:00")] {
            var appointment = Self.held()
            #expect(throws: TransitionError.holdExpired(at: Self.holdEnd)) { try appointment.confirm(actor: .client, at: at) }
            #expect(appointment == Self.held())
        }
        for status in [AppointmentStatus.confirmed, .cancelled, .completed, .noShow] {
            var appointment = Self.appointment(in: status)
            #expect(throws: TransitionError.invalidTransition(from: status, to: .confirmed)) {
                try appointment.confirm(actor: .client, at: Self.bookedAt)
            }
        }
    }

    @Test func theSystemReleasesAnExpiredHold() throws {
        var appointment = Self.held()
        #expect(throws: TransitionError.holdNotExpired(until: Self.holdEnd)) { try appointment.release(at: msk("2026-03-02 12:29")) }
        #expect(appointment == Self.held())
        let transition = try appointment.release(at: Self.holdEnd)
        #expect(transition == Transition(appointmentId: Self.id, kind: .released, fromStatus: .scheduled, toStatus: .cancelled,
                                         oldSlot: Self.slot, oldConsultantId: "anna", actor: .system, reason: "not confirmed in time",
                                         at: Self.holdEnd))
        #expect(appointment.status == .cancelled && !appointment.status.isActive && appointment.holdExpiresAt == nil)
        #expect(throws: TransitionError.invalidTransition(from: .cancelled, to: .cancelled)) { try appointment.release(at: Self.holdEnd) }
        for status in [AppointmentStatus.confirmed, .completed, .noShow] {
            var other = Self.appointment(in: status)
            #expect(throws: TransitionError.invalidTransition(from: status, to: .cancelled)) { try other.release(at: Self.holdEnd) }
        }
    }

    @Test func aHoldIsCancelledOrMovedButNotFinishedOrReminded() throws {
        var cancelled = Self.held()
        let transition = try cancelled.cancel(actor: .client, reason: "changed my mind", at: msk("2026-03-02 12:10"))
        #expect(transition.kind == .cancelled && transition.fromStatus == .scheduled && cancelled.holdExpiresAt == nil)

        var moved = Self.held()
        let newSlot = range(msk("2026-03-04 11:00"))
        let move = try moved.reschedule(to: newSlot, consultantId: "boris", actor: .client, at: msk("2026-03-02 12:10"))
        #expect(move.fromStatus == .scheduled && move.toStatus == .scheduled)
        #expect(moved.status == .scheduled && moved.holdExpiresAt == Self.holdEnd && moved.timeSlot == newSlot)
        #expect(throws: TransitionError.holdExpired(at: Self.holdEnd)) {
            try moved.reschedule(to: Self.slot, consultantId: "anna", actor: .client, at: Self.holdEnd)
        }
        #expect(throws: TransitionError.reminderNotApplicable(.scheduled)) { try moved.markReminderSent(at: msk("2026-03-02 12:10")) }
        #expect(throws: TransitionError.invalidTransition(from: .scheduled, to: .completed)) { try moved.complete(actor: .admin, at: newSlot.start) }
    }

    @Test func errorMessages() {
        let cases: [(TransitionError, String)] = [
            (.invalidTransition(from: .cancelled, to: .confirmed), "the appointment is already cancelled and can no longer be changed (asked to make it confirmed)"),
            (.invalidTransition(from: .noShow, to: .completed), "the appointment is already marked as a no-show and can no longer be changed (asked to make it completed)"),
            (.invalidTransition(from: .confirmed, to: .confirmed), "a confirmed appointment cannot become confirmed"),
            (.sameSlot(TimeSlot(range: Self.slot, consultantId: "anna")),
             "the appointment is already at 2026-03-03T10:00:00+03:00 (Europe/Moscow) with anna; choose another time or consultant"),
            (.notStarted(kind: .attended, startsAt: Self.slot.start),
             "the appointment starts at 2026-03-03T10:00:00+03:00 (Europe/Moscow); it cannot be marked attended before then"),
            (.notStarted(kind: .noShow, startsAt: Self.slot.start),
             "the appointment starts at 2026-03-03T10:00:00+03:00 (Europe/Moscow); it cannot be marked as a no-show before then"),
            (.reminderAlreadySent, "the reminder for this appointment has already been sent"),
            (.reminderNotApplicable(.cancelled), "the appointment is cancelled; only a confirmed appointment gets a reminder"),
            (.reminderNotApplicable(.scheduled), "the appointment is waiting for its confirmation; only a confirmed appointment gets a reminder"),
            (.invalidTransition(from: .scheduled, to: .completed),
             "a scheduled appointment cannot become completed"),
            (.holdExpired(at: Self.holdEnd), "the time to confirm this booking ended at 2026-03-02T12:30:00+03:00 (Europe/Moscow); please book again"),
            (.holdNotExpired(until: Self.holdEnd), "the booking is held for its client's confirmation until 2026-03-02T12:30:00+03:00 (Europe/Moscow)"),
        ]
        let moscow = TimeZone(identifier: "Europe/Moscow")!
        for (error, message) in cases {
            #expect(error.message(in: moscow) == message)
        }
        // Logs read UTC.
        #expect(TransitionError.notStarted(kind: .attended, startsAt: Self.slot.start).description
                == "the appointment starts at 2026-03-03T07:00:00+00:00 (GMT); it cannot be marked attended before then")
    }

    @Test func codableRoundTrips() throws {
        var appointment = Self.booked()
        let transition = try appointment.reschedule(to: range(msk("2026-03-04 11:00")), consultantId: "boris", actor: .client, at: msk("2026-03-02 14:00"))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(Appointment.self, from: encoder.encode(appointment)) == appointment)
        #expect(try decoder.decode(Transition.self, from: encoder.encode(transition)) == transition)
        let json = String(decoding: try encoder.encode(appointment), as: UTF8.self)
        #expect(json.contains(#""status":"confirmed""#) && json.contains(#""bookingReference":"BK-"#))
        let client = Client(id: Self.clientId, contactInfo: Self.contact(), timeZone: "Europe/Moscow", locale: "ru")
        #expect(try JSONDecoder().decode(Client.self, from: JSONEncoder().encode(client)) == client)
    }
}
