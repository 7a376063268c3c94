import CivilTime
import Foundation

public enum AppointmentStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Booked in hold-then-confirm mode: holds its slot until the client confirms it or the hold
    /// expires (then the system releases it).
    case scheduled
    case confirmed
    case cancelled
    case completed
    case noShow = "no_show"

    /// Holds its slot and its consultant's time: a hold does so as much as a confirmed booking,
    /// or a bot's holds would not keep anyone else out and the confirmation would prove nothing.
    public var isActive: Bool { self == .confirmed || self == .scheduled }

    /// Every status change the domain allows; `confirmed -> confirmed` and `scheduled ->
    /// scheduled` are reschedules. A hold cannot be completed or missed: it is confirmed,
    /// cancelled or released (`scheduled -> cancelled` by the system) first.
    /// A cancellation is final because history, reminders and statistics rely on it not moving;
    /// an outcome can be corrected (`completed <-> no_show`), since a consultant may mark the
    /// wrong one, and the history keeps both marks.
    public static let allowedTransitions: [AppointmentStatus: Set<AppointmentStatus>] = [
        .scheduled: [.scheduled, .confirmed, .cancelled],
        .confirmed: [.confirmed, .cancelled, .completed, .noShow],
        .cancelled: [],
        .completed: [.noShow],
        .noShow: [.completed],
    ]

    /// Marked attended or no-show.
    public var isOutcome: Bool { self == .completed || self == .noShow }

    public func canTransition(to next: AppointmentStatus) -> Bool {
        AppointmentStatus.allowedTransitions[self, default: []].contains(next)
    }

    public var description: String { rawValue }

    /// How a message names an appointment in this status.
    var wording: String {
        switch self {
        case .scheduled: "waiting for its confirmation"
        case .confirmed: "confirmed"
        case .cancelled: "cancelled"
        case .completed: "completed"
        case .noShow: "marked as a no-show"
        }
    }
}

/// Who caused a change, for the history.
public enum Actor: String, Sendable, Hashable, Codable, CaseIterable {
    case client
    case admin
    case system
}

public struct Consultant: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var name: String
    public var email: String?
    /// IANA zone: their notifications' times, and the wall clock of their own hours and day.
    public var timeZone: String
    /// The language of the consultant's own notifications.
    public var locale: SupportedLocale
    /// How this consultant holds consultations; nil: the suite's format (`meeting:`).
    public var meeting: MeetingFormat?
    /// Their own hours, buffers and daily limit within the business calendar.
    public var schedule: ConsultantSchedule

    public init(id: String, name: String, email: String? = nil, timeZone: String = "Europe/Moscow", locale: SupportedLocale = .fallback,
                meeting: MeetingFormat? = nil, schedule: ConsultantSchedule = .businessHours) {
        self.id = id
        self.name = name
        self.email = email
        self.timeZone = timeZone
        self.locale = locale
        self.meeting = meeting
        self.schedule = schedule
    }

    /// A consultant's address, normalised: required, because their notices go nowhere else.
    public static func validatedEmail(_ raw: String?) throws(ValidationError) -> String {
        guard let raw, !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError(field: .email, kind: .empty, message: "a consultant needs an email: their notices go there")
        }
        return try ContactInfo.validatedEmail(raw)
    }

    /// 1 to 64 ASCII letters, digits, `-` or `_`: ids appear in URLs, logs and metrics labels.
    public static func isValidId(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}

public struct Client: Sendable, Hashable, Codable, Identifiable {
    public var id: UUID
    public var contactInfo: ContactInfo
    /// IANA zone in which the client's messages show times.
    public var timeZone: String
    /// `ru` or `en`.
    public var locale: String

    public init(id: UUID, contactInfo: ContactInfo, timeZone: String, locale: String) {
        self.id = id
        self.contactInfo = contactInfo
        self.timeZone = timeZone
        self.locale = locale
    }
}

/// A consultant's time taken by an appointment.
public struct TimeSlot: Sendable, Hashable, Codable {
    public var range: DateTimeRange
    public var consultantId: String

    public init(range: DateTimeRange, consultantId: String) {
        self.range = range
        self.consultantId = consultantId
    }
}

public enum TransitionKind: String, Sendable, Hashable, Codable, CaseIterable {
    case created
    case rescheduled
    case cancelled
    /// Marked attended (the status becomes `completed`).
    case attended
    case noShow = "no_show"
    case reminderSent = "reminder_sent"
    /// A hold confirmed by its client.
    case confirmed
    /// A hold that expired unconfirmed, cancelled by the system.
    case released
}

/// One entry of an appointment's history.
public struct Transition: Sendable, Hashable, Codable {
    public var appointmentId: UUID
    public var kind: TransitionKind
    /// Nil for `created`.
    public var fromStatus: AppointmentStatus?
    public var toStatus: AppointmentStatus
    /// The slot given up: set for `rescheduled` and `cancelled`.
    public var oldSlot: DateTimeRange?
    /// The slot taken: set for `created` and `rescheduled`.
    public var newSlot: DateTimeRange?
    public var oldConsultantId: String?
    public var newConsultantId: String?
    public var actor: Actor
    public var reason: String?
    public var at: Date

    public init(appointmentId: UUID, kind: TransitionKind, fromStatus: AppointmentStatus?, toStatus: AppointmentStatus,
                oldSlot: DateTimeRange? = nil, newSlot: DateTimeRange? = nil,
                oldConsultantId: String? = nil, newConsultantId: String? = nil,
                actor: Actor, reason: String? = nil, at: Date) {
        self.appointmentId = appointmentId
        self.kind = kind
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.oldSlot = oldSlot
        self.newSlot = newSlot
        self.oldConsultantId = oldConsultantId
        self.newConsultantId = newConsultantId
        self.actor = actor
        self.reason = reason
        self.at = at
    }
}

public enum TransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The status table does not allow the change.
    case invalidTransition(from: AppointmentStatus, to: AppointmentStatus)
    /// A reschedule to the slot (time and consultant) the appointment already has.
    case sameSlot(TimeSlot)
    /// Completion or a no-show recorded before the consultation began.
    case notStarted(kind: TransitionKind, startsAt: Date)
    case reminderAlreadySent
    /// Reminders are only for confirmed appointments.
    case reminderNotApplicable(AppointmentStatus)
    /// A confirmation that came after the hold ended: the slot may be someone else's by now.
    case holdExpired(at: Date)
    /// A release before the hold's end: the client still has time to confirm.
    case holdNotExpired(until: Date)

    /// The refusal, with its times in `zone` (the calendar's: the zone every other answer uses).
    public func message(in zone: TimeZone) -> String {
        switch self {
        case let .invalidTransition(from, to) where from.isActive:
            "a \(from.rawValue) appointment cannot become \(to.wording)"
        case let .invalidTransition(from, to):
            "the appointment is already \(from.wording) and can no longer be changed (asked to make it \(to.wording))"
        case let .sameSlot(slot):
            "the appointment is already at \(ISO8601.local(slot.range.start, in: zone)) (\(zone.identifier)) with \(slot.consultantId); choose another time or consultant"
        case let .notStarted(kind, start):
            "the appointment starts at \(ISO8601.local(start, in: zone)) (\(zone.identifier)); it cannot be marked \(kind == .noShow ? "as a no-show" : "attended") before then"
        case .reminderAlreadySent:
            "the reminder for this appointment has already been sent"
        case let .reminderNotApplicable(status):
            "the appointment is \(status.wording); only a confirmed appointment gets a reminder"
        case let .holdExpired(at):
            "the time to confirm this booking ended at \(ISO8601.local(at, in: zone)) (\(zone.identifier)); please book again"
        case let .holdNotExpired(until):
            "the booking is held for its client's confirmation until \(ISO8601.local(until, in: zone)) (\(zone.identifier))"
        }
    }

    /// For logs: times in UTC.
    public var description: String { message(in: TimeZone(secondsFromGMT: 0)!) }
}

/// A booked consultation. Its state changes only through the methods below, each of which
/// returns the history entry to store with it.
public struct Appointment: Sendable, Hashable, Codable, Identifiable {
    public let id: UUID
    public let clientId: UUID
    public private(set) var consultantId: String
    public private(set) var timeSlot: DateTimeRange
    public let contactInfo: ContactInfo
    public private(set) var status: AppointmentStatus
    /// Kept through reschedules: it is what the client holds.
    public let bookingReference: BookingReference
    public let createdAt: Date
    public private(set) var updatedAt: Date
    public private(set) var reminderSent: Bool
    /// How many times the appointment's time, consultant or status changed since it was booked
    /// (0 at first). It only grows: it is the iCalendar SEQUENCE of the appointment's event,
    /// whichever way a client took the event into their calendar.
    public private(set) var revision: Int
    /// IANA zone in which the client's messages show times.
    public let clientTimeZone: String
    /// `ru` or `en`.
    public let locale: String
    /// How the consultation happens, fixed when it was booked and again when it moves to another
    /// consultant; nil for bookings made before meetings were configured.
    public private(set) var meeting: Meeting?
    /// What the client would like to discuss (personal data), as `ConsultationTopic` validated it.
    public let topic: String?
    /// While `scheduled`: the end of the hold, when an unconfirmed booking is released; nil otherwise.
    public private(set) var holdExpiresAt: Date?
    /// When its personal data was erased (on request or after the retention period): from then
    /// on its contact is `ContactInfo.erased` and it has no topic; the rest stays for the counts.
    public let erasedAt: Date?
    /// Where the visit that booked came from (not personal data: it outlives an erasure).
    public let source: LeadSource?

    /// Restores a stored appointment as it was; a new one comes from `book`.
    public init(id: UUID, clientId: UUID, consultantId: String, timeSlot: DateTimeRange, contactInfo: ContactInfo,
                status: AppointmentStatus, bookingReference: BookingReference, createdAt: Date, updatedAt: Date,
                reminderSent: Bool, revision: Int = 0, clientTimeZone: String, locale: String, meeting: Meeting? = nil, topic: String? = nil,
                holdExpiresAt: Date? = nil, erasedAt: Date? = nil, source: LeadSource? = nil) {
        self.source = source
        self.id = id
        self.clientId = clientId
        self.consultantId = consultantId
        self.timeSlot = timeSlot
        self.contactInfo = contactInfo
        self.status = status
        self.bookingReference = bookingReference
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.reminderSent = reminderSent
        self.revision = revision
        self.clientTimeZone = clientTimeZone
        self.locale = locale
        self.meeting = meeting
        self.topic = topic
        self.holdExpiresAt = holdExpiresAt
        self.erasedAt = erasedAt
    }

    /// The appointment as it reads once its personal data is gone.
    public func erased(at: Date) -> Appointment {
        Appointment(id: id, clientId: clientId, consultantId: consultantId, timeSlot: timeSlot, contactInfo: .erased, status: status,
                    bookingReference: bookingReference, createdAt: createdAt, updatedAt: updatedAt, reminderSent: reminderSent,
                    revision: revision, clientTimeZone: clientTimeZone, locale: locale, meeting: meeting, topic: nil,
                    holdExpiresAt: holdExpiresAt, erasedAt: at, source: source)
    }

    public var slot: TimeSlot { TimeSlot(range: timeSlot, consultantId: consultantId) }

    /// A confirmed appointment, or with `holdUntil` a scheduled one held until then. Whether the
    /// slot may be booked is the calendar's and the store's business; this only records the
    /// decision. `meetingFormat` is the consultant's (or the suite's): the booking gets it
    /// resolved with its own reference.
    public static func book(id: UUID, clientId: UUID, slot: TimeSlot, contactInfo: ContactInfo,
                            reference: BookingReference, clientTimeZone: String, locale: String,
                            meetingFormat: MeetingFormat? = nil, topic: String? = nil, holdUntil: Date? = nil, source: LeadSource? = nil,
                            actor: Actor, reason: String? = nil, at: Date) -> (Appointment, Transition) {
        let status: AppointmentStatus = holdUntil == nil ? .confirmed : .scheduled
        let appointment = Appointment(
            id: id, clientId: clientId, consultantId: slot.consultantId, timeSlot: slot.range,
            contactInfo: contactInfo, status: status, bookingReference: reference,
            createdAt: at, updatedAt: at, reminderSent: false, clientTimeZone: clientTimeZone, locale: locale,
            meeting: meetingFormat?.resolved(reference: reference), topic: topic, holdExpiresAt: holdUntil, source: source)
        let transition = Transition(
            appointmentId: id, kind: .created, fromStatus: nil, toStatus: status,
            newSlot: slot.range, newConsultantId: slot.consultantId, actor: actor, reason: reason, at: at)
        return (appointment, transition)
    }

    /// Moves the appointment, possibly to another consultant. A reminder already sent was for the
    /// old time, so it is due again. The meeting stays as the client was told unless the
    /// consultant changes: then it is the new consultant's `meetingFormat`, resolved afresh.
    /// A hold stays a hold with the same end: were a move to start it afresh, rescheduling
    /// would keep a slot held for ever without a confirmation.
    public mutating func reschedule(to range: DateTimeRange, consultantId newConsultantId: String, meetingFormat: MeetingFormat? = nil,
                                    actor: Actor, reason: String? = nil, at: Date) throws(TransitionError) -> Transition {
        guard status.isActive else { throw TransitionError.invalidTransition(from: status, to: .confirmed) }
        try requireTransition(to: status)
        try requireHoldRunning(at: at)
        guard range != timeSlot || newConsultantId != consultantId else { throw TransitionError.sameSlot(slot) }
        let transition = Transition(
            appointmentId: id, kind: .rescheduled, fromStatus: status, toStatus: status,
            oldSlot: timeSlot, newSlot: range, oldConsultantId: consultantId, newConsultantId: newConsultantId,
            actor: actor, reason: reason, at: at)
        if newConsultantId != consultantId {
            meeting = meetingFormat?.resolved(reference: bookingReference)
        }
        timeSlot = range
        consultantId = newConsultantId
        reminderSent = false
        revision += 1
        updatedAt = at
        return transition
    }

    public mutating func cancel(actor: Actor, reason: String? = nil, at: Date) throws(TransitionError) -> Transition {
        try requireTransition(to: .cancelled)
        return end(kind: .cancelled, actor: actor, reason: reason, at: at)
    }

    /// The client confirms a hold before it ends. From then on it is a confirmed appointment
    /// like one booked without a hold.
    public mutating func confirm(actor: Actor, at: Date) throws(TransitionError) -> Transition {
        try requireTransition(to: .confirmed)
        guard status == .scheduled else { throw TransitionError.invalidTransition(from: status, to: .confirmed) }
        try requireHoldRunning(at: at)
        let transition = Transition(appointmentId: id, kind: .confirmed, fromStatus: status, toStatus: .confirmed, actor: actor, at: at)
        status = .confirmed
        holdExpiresAt = nil
        revision += 1
        updatedAt = at
        return transition
    }

    /// The system gives up a hold its client did not confirm in time: the slot is free again.
    public mutating func release(at: Date) throws(TransitionError) -> Transition {
        guard status == .scheduled, let expiry = holdExpiresAt else {
            throw TransitionError.invalidTransition(from: status, to: .cancelled)
        }
        guard at >= expiry else { throw TransitionError.holdNotExpired(until: expiry) }
        return end(kind: .released, actor: .system, reason: "not confirmed in time", at: at)
    }

    private mutating func end(kind: TransitionKind, actor: Actor, reason: String?, at: Date) -> Transition {
        let transition = Transition(
            appointmentId: id, kind: kind, fromStatus: status, toStatus: .cancelled,
            oldSlot: timeSlot, oldConsultantId: consultantId, actor: actor, reason: reason, at: at)
        status = .cancelled
        holdExpiresAt = nil
        revision += 1
        updatedAt = at
        return transition
    }

    /// Allowed from the slot's start on; on a no-show, it corrects the mark.
    public mutating func complete(actor: Actor, reason: String? = nil, at: Date) throws(TransitionError) -> Transition {
        try finish(as: .completed, kind: .attended, actor: actor, reason: reason, at: at)
    }

    /// Allowed from the slot's start on; on an attended appointment, it corrects the mark.
    public mutating func markNoShow(actor: Actor, reason: String? = nil, at: Date) throws(TransitionError) -> Transition {
        try finish(as: .noShow, kind: .noShow, actor: actor, reason: reason, at: at)
    }

    public mutating func markReminderSent(at: Date) throws(TransitionError) -> Transition {
        guard status == .confirmed else { throw TransitionError.reminderNotApplicable(status) }
        guard !reminderSent else { throw TransitionError.reminderAlreadySent }
        reminderSent = true
        updatedAt = at
        return Transition(appointmentId: id, kind: .reminderSent, fromStatus: status, toStatus: status,
                          actor: .system, at: at)
    }

    private mutating func finish(as next: AppointmentStatus, kind: TransitionKind, actor: Actor, reason: String?,
                                 at: Date) throws(TransitionError) -> Transition {
        try requireTransition(to: next)
        guard at >= timeSlot.start else { throw TransitionError.notStarted(kind: kind, startsAt: timeSlot.start) }
        let transition = Transition(appointmentId: id, kind: kind, fromStatus: status, toStatus: next,
                                    actor: actor, reason: reason, at: at)
        status = next
        revision += 1
        updatedAt = at
        return transition
    }

    private func requireTransition(to next: AppointmentStatus) throws(TransitionError) {
        guard status.canTransition(to: next) else { throw TransitionError.invalidTransition(from: status, to: next) }
    }

    /// A hold past its end is the system's to release, whatever the timer has done so far.
    private func requireHoldRunning(at: Date) throws(TransitionError) {
        if status == .scheduled, let expiry = holdExpiresAt, at >= expiry { throw TransitionError.holdExpired(at: expiry) }
    }
}
