import Foundation

// Bodies of availabilityd's queries and calendar admin.

/// Free slots for `days` days from `from` (a local date in `timeZone`, default today), clamped
/// to the booking horizon.
public struct SlotsRequest: Codable, Sendable, Hashable {
    public var from: String?
    public var days: Int?
    public var timeZone: String?
    public var consultantId: String?

    public init(from: String? = nil, days: Int? = nil, timeZone: String? = nil, consultantId: String? = nil) {
        self.from = from
        self.days = days
        self.timeZone = timeZone
        self.consultantId = consultantId
    }
}

public struct SlotBody: Codable, Sendable, Equatable {
    public var start: Date
    public var end: Date
    /// The start and end in the requested zone, ISO 8601 with that zone's offset.
    public var localStart: String
    public var localEnd: String
    /// How many consultants are free. (Which ones: ask with `consultant_id`.)
    public var free: Int

    public init(start: Date, end: Date, localStart: String, localEnd: String, free: Int) {
        self.start = start
        self.end = end
        self.localStart = localStart
        self.localEnd = localEnd
        self.free = free
    }
}

public struct SlotsReply: Codable, Sendable, Equatable {
    public var timeZone: String
    public var slots: [SlotBody]
    public var warnings: [String]

    public init(timeZone: String, slots: [SlotBody], warnings: [String] = []) {
        self.timeZone = timeZone
        self.slots = slots
        self.warnings = warnings
    }
}

/// Either a whole `year` or `from`...`through` (local dates of the calendar's zone).
public struct CalendarRequest: Codable, Sendable, Equatable {
    public var year: Int?
    public var from: String?
    public var through: String?

    public init(year: Int? = nil, from: String? = nil, through: String? = nil) {
        self.year = year
        self.from = from
        self.through = through
    }
}

public struct CalendarDayBody: Codable, Sendable, Equatable {
    public var date: String
    /// `working`, `shortened`, `weekend`, `holiday`, `day_off`, `working_weekend` or `blocked`.
    public var kind: String
    /// Local `HH:MM` in the calendar's zone, or null on a day without hours.
    public var opens: String?
    public var closes: String?
    public var reason: String?

    public init(date: String, kind: String, opens: String?, closes: String?, reason: String? = nil) {
        self.date = date
        self.kind = kind
        self.opens = opens
        self.closes = closes
        self.reason = reason
    }
}

public struct CalendarReply: Codable, Sendable, Equatable {
    public var timeZone: String
    public var days: [CalendarDayBody]
    public var warnings: [String]

    public init(timeZone: String, days: [CalendarDayBody], warnings: [String] = []) {
        self.timeZone = timeZone
        self.days = days
        self.warnings = warnings
    }
}

/// Asked by bookingd before it writes: is `start` bookable by the calendar's rules, and which
/// consultants are free by the calendar (working, not on time off, not booked in availabilityd's view)?
public struct CheckSlotRequest: Codable, Sendable, Equatable {
    public var start: Date
    public var consultantId: String?
    public init(start: Date, consultantId: String? = nil) {
        self.start = start
        self.consultantId = consultantId
    }
}

public struct CheckSlotReply: Codable, Sendable, Equatable {
    public var start: Date
    public var end: Date
    /// Consultants the calendar allows at that time (bookingd decides among them by its own database).
    public var candidates: [String]
    /// The booking horizon as of now, for counting each consultant's bookings fairly.
    public var horizonEnd: Date
    /// How each candidate holds consultations (their own format or the suite's); a candidate
    /// without one has no meeting.
    public var meetings: [CandidateMeetingBody]?
    /// What bookingd checks against its own bookings for the candidates with buffers or a
    /// daily limit; a candidate not listed has neither.
    public var limits: [CandidateLimitsBody]?

    public init(start: Date, end: Date, candidates: [String], horizonEnd: Date, meetings: [CandidateMeetingBody]? = nil,
                limits: [CandidateLimitsBody]? = nil) {
        self.start = start
        self.end = end
        self.candidates = candidates
        self.horizonEnd = horizonEnd
        self.meetings = meetings
        self.limits = limits
    }
}

/// A candidate's rules that depend on their other bookings.
public struct CandidateLimitsBody: Codable, Sendable, Equatable {
    public var consultantId: String
    /// Seconds between the new appointment and any other of theirs.
    public var spacingSeconds: Int
    public var dailyLimit: Int?
    /// The consultant's day (in their zone) containing the slot.
    public var dayStart: Date
    public var dayEnd: Date
    public init(consultantId: String, spacingSeconds: Int, dailyLimit: Int?, dayStart: Date, dayEnd: Date) {
        self.consultantId = consultantId
        self.spacingSeconds = spacingSeconds
        self.dailyLimit = dailyLimit
        self.dayStart = dayStart
        self.dayEnd = dayEnd
    }
}

/// A consultant's meeting format as bookingd resolves it for a booking.
public struct CandidateMeetingBody: Codable, Sendable, Equatable {
    public var consultantId: String
    public var meeting: MeetingBody
    public init(consultantId: String, meeting: MeetingBody) {
        self.consultantId = consultantId
        self.meeting = meeting
    }
}

public struct BlockRequest: Codable, Sendable, Equatable {
    public var from: String
    public var through: String
    /// Internal: kept with the block and in the cancelled bookings' history, never told to clients.
    public var reason: String
    /// Cancel the active bookings on those days (by the system) instead of refusing.
    public var force: Bool?
    /// What the clients whose bookings are cancelled (and the team) are told; a neutral default when nil.
    public var clientMessage: String?

    public init(from: String, through: String, reason: String, force: Bool? = nil, clientMessage: String? = nil) {
        self.from = from
        self.through = through
        self.reason = reason
        self.force = force
        self.clientMessage = clientMessage
    }
}

public struct BlockedPeriodBody: Codable, Sendable, Equatable {
    public var from: String
    public var through: String
    public var reason: String
    public init(from: String, through: String, reason: String) {
        self.from = from
        self.through = through
        self.reason = reason
    }
}

public struct BlockReply: Codable, Sendable, Equatable {
    public var blocked: BlockedPeriodBody
    /// References of the bookings cancelled because of the block.
    public var cancelled: [String]
    /// Days in the period that have no consultations anyway (weekends, holidays, days off).
    public var warnings: [String]?
    public init(blocked: BlockedPeriodBody, cancelled: [String], warnings: [String]? = nil) {
        self.blocked = blocked
        self.cancelled = cancelled
        self.warnings = warnings
    }
}

/// A booking that `force` gave to a colleague free at the same time instead of cancelling it.
public struct MovedBookingBody: Codable, Sendable, Equatable {
    public var reference: String
    public var consultantId: String
    public init(reference: String, consultantId: String) {
        self.reference = reference
        self.consultantId = consultantId
    }
}

public struct UnblockRequest: Codable, Sendable, Equatable {
    public var from: String
    public var through: String
    public init(from: String, through: String) {
        self.from = from
        self.through = through
    }
}

public struct UnblockReply: Codable, Sendable, Equatable {
    public var removed: [BlockedPeriodBody]
    public init(removed: [BlockedPeriodBody]) { self.removed = removed }
}

public struct ConsultantBody: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// Required when adding: the consultant's notices go there.
    public var email: String?
    public var timeZone: String
    public var timeOff: [TimeOffBody]?
    /// `ru` or `en`: the language of the consultant's notices. Default: the suite's (`ru`).
    public var locale: String?
    /// The consultant's own meeting format; absent: the suite's (`meeting:` in booking.yaml).
    public var meeting: MeetingBody?
    /// Their own weekly hours on their wall clock (`mon-fri 09:00-13:00`); absent: the business hours.
    public var hours: String?
    /// Minutes that must be free before / after each of their appointments; absent: none.
    public var bufferBeforeMinutes: Int?
    public var bufferAfterMinutes: Int?
    /// Appointments a day at most; absent: no cap.
    public var dailyLimit: Int?
    public init(id: String, name: String, email: String?, timeZone: String, timeOff: [TimeOffBody]? = nil, locale: String? = nil,
                meeting: MeetingBody? = nil, hours: String? = nil, bufferBeforeMinutes: Int? = nil, bufferAfterMinutes: Int? = nil,
                dailyLimit: Int? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.timeZone = timeZone
        self.timeOff = timeOff
        self.locale = locale
        self.meeting = meeting
        self.hours = hours
        self.bufferBeforeMinutes = bufferBeforeMinutes
        self.bufferAfterMinutes = bufferAfterMinutes
        self.dailyLimit = dailyLimit
    }
}

/// Changes the given fields of a consultant; the others stay.
public struct ConsultantEditRequest: Codable, Sendable, Equatable {
    public var id: String
    public var name: String?
    public var email: String?
    public var timeZone: String?
    public var locale: String?
    public var meeting: MeetingBody?
    /// Their own weekly hours; `""`: the business hours again.
    public var hours: String?
    public var bufferBeforeMinutes: Int?
    public var bufferAfterMinutes: Int?
    /// `0`: no cap.
    public var dailyLimit: Int?
    public init(id: String, name: String? = nil, email: String? = nil, timeZone: String? = nil, locale: String? = nil,
                meeting: MeetingBody? = nil, hours: String? = nil, bufferBeforeMinutes: Int? = nil, bufferAfterMinutes: Int? = nil,
                dailyLimit: Int? = nil) {
        self.id = id
        self.name = name
        self.email = email
        self.timeZone = timeZone
        self.locale = locale
        self.meeting = meeting
        self.hours = hours
        self.bufferBeforeMinutes = bufferBeforeMinutes
        self.bufferAfterMinutes = bufferAfterMinutes
        self.dailyLimit = dailyLimit
    }

    /// Whether the request changes the consultant's schedule, which may take booked time away.
    public var changesSchedule: Bool { hours != nil || bufferBeforeMinutes != nil || bufferAfterMinutes != nil || dailyLimit != nil }
}

public struct TimeOffBody: Codable, Sendable, Equatable {
    public var id: Int64
    public var start: Date
    public var end: Date
    public var reason: String
    public init(id: Int64, start: Date, end: Date, reason: String) {
        self.id = id
        self.start = start
        self.end = end
        self.reason = reason
    }
}

public struct ConsultantRemoveRequest: Codable, Sendable, Equatable {
    public var id: String
    /// Give the consultant's active bookings to colleagues free at the same time, and cancel
    /// those nobody can take, instead of refusing.
    public var force: Bool?
    /// What the clients are told (see `BlockRequest.clientMessage`).
    public var clientMessage: String?
    public init(id: String, force: Bool? = nil, clientMessage: String? = nil) {
        self.id = id
        self.force = force
        self.clientMessage = clientMessage
    }
}

/// Whole days off, `from`...`through` (local dates of the calendar's zone).
public struct TimeOffRequest: Codable, Sendable, Equatable {
    public var consultantId: String
    public var from: String
    public var through: String
    /// Internal (e.g. an illness): kept with the time off, never told to clients.
    public var reason: String
    /// As `ConsultantRemoveRequest.force`.
    public var force: Bool?
    /// What the clients are told (see `BlockRequest.clientMessage`).
    public var clientMessage: String?
    public init(consultantId: String, from: String, through: String, reason: String, force: Bool? = nil, clientMessage: String? = nil) {
        self.consultantId = consultantId
        self.from = from
        self.through = through
        self.reason = reason
        self.force = force
        self.clientMessage = clientMessage
    }
}

public struct TimeOffRemoveRequest: Codable, Sendable, Equatable {
    public var id: Int64
    public init(id: Int64) { self.id = id }

    private enum CodingKeys: String, CodingKey { case id }

    /// `time_off_add` answers the id as a string (its reply is shared with `consultant_remove`),
    /// `consultants` lists it as a number: either is read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .id) {
            guard let id = Int64(text) else {
                throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "'\(text)' is not a time off's number")
            }
            self.id = id
        } else {
            id = try container.decode(Int64.self, forKey: .id)
        }
    }
}

/// What a change that takes slots out of the offer did: its id, if it has one, and (only with
/// `force`) the bookings it gave to colleagues and those it cancelled because nobody was free.
public struct WithdrawalReply: Codable, Sendable, Equatable {
    public var id: String
    public var cancelled: [String]
    public var moved: [MovedBookingBody]
    public init(id: String, cancelled: [String], moved: [MovedBookingBody] = []) {
        self.id = id
        self.cancelled = cancelled
        self.moved = moved
    }
}

/// The consultants on offer; with `includeRemoved`, also those taken out of it (notifyd still
/// tells them about the bookings they had).
public struct ConsultantsRequest: Codable, Sendable, Equatable {
    public var includeRemoved: Bool?
    public init(includeRemoved: Bool? = nil) { self.includeRemoved = includeRemoved }
}

public struct ConsultantsReply: Codable, Sendable, Equatable {
    public var consultants: [ConsultantBody]
    public init(consultants: [ConsultantBody]) { self.consultants = consultants }
}
