import BookingDomain
import BookingProtocol
import CivilTime
import Foundation

/// What the report is computed from, as bookingd's store hands it over: no I/O past this point.
public struct ReportFacts: Sendable {
    /// The period's first and last day (inclusive), in `zone` (the business calendar's).
    public var from: LocalDate
    public var to: LocalDate
    public var zone: TimeZone
    /// Only this consultant's bookings; nil: the whole team.
    public var consultantId: String?
    /// Every appointment booked in the period or with its slot in the period.
    public var bookings: [BookedConsultation]
    /// Every visit of the booking page that began in the period (refused bots are never recorded).
    public var visits: [FunnelVisit]
    /// When the report is made: an appointment that ended more than `unmarkedAfter` before it and
    /// has no mark is `unmarked`.
    public var now: Date
    public var unmarkedAfter: TimeInterval

    public init(from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, bookings: [BookedConsultation], visits: [FunnelVisit],
                now: Date, unmarkedAfter: TimeInterval) {
        self.from = from
        self.to = to
        self.zone = zone
        self.consultantId = consultantId
        self.bookings = bookings
        self.visits = visits
        self.now = now
        self.unmarkedAfter = unmarkedAfter
    }
}

/// One appointment with its whole history, oldest change first (its `created` entry first).
public struct BookedConsultation: Sendable, Hashable {
    public var reference: String
    public var consultantId: String
    public var slot: DateTimeRange
    public var bookedAt: Date
    public var status: AppointmentStatus
    public var source: LeadSource?
    /// Each change: kind, actor, statuses, old and new slots, when. Reasons are left out.
    public var changes: [Transition]

    public init(reference: String, consultantId: String, slot: DateTimeRange, bookedAt: Date, status: AppointmentStatus, source: LeadSource?,
                changes: [Transition]) {
        self.reference = reference
        self.consultantId = consultantId
        self.slot = slot
        self.bookedAt = bookedAt
        self.status = status
        self.source = source
        self.changes = changes
    }
}

/// One visit of the booking page: when it reached each step (nil: it never did).
public struct FunnelVisit: Sendable, Hashable {
    public var viewedAt: Date
    public var slotsAt: Date?
    public var choseAt: Date?
    public var sentAt: Date?
    public var bookedAt: Date?

    public init(viewedAt: Date, slotsAt: Date? = nil, choseAt: Date? = nil, sentAt: Date? = nil, bookedAt: Date? = nil) {
        self.viewedAt = viewedAt
        self.slotsAt = slotsAt
        self.choseAt = choseAt
        self.sentAt = sentAt
        self.bookedAt = bookedAt
    }
}
