import Foundation

/// A VEVENT as read from someone else's calendar: what decides when it happens and whether it
/// holds its attendee busy. A recurring event is one master and any number of overrides (same
/// UID, each with the RECURRENCE-ID of the instance it replaces).
public struct ImportedEvent: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        case tentative, confirmed, cancelled
    }

    public enum Transparency: Sendable, Hashable {
        /// Busy time (the default).
        case opaque
        /// Shown in the calendar but free time.
        case transparent
    }

    /// Which instances an override's RECURRENCE-ID names (RFC 5545 §3.2.13).
    public enum RecurrenceRange: Sendable, Hashable {
        case thisInstance
        case thisAndFuture
    }

    public var uid: String
    /// Set on an override: the original start of the instance it replaces.
    public var recurrenceID: EventTime?
    public var recurrenceRange: RecurrenceRange
    public var start: EventTime
    /// From DTEND or DURATION; one day for an all-day event without either, zero for a timed one
    /// (RFC 5545 §3.6.1).
    public var duration: EventDuration
    /// Nil when the event has no STATUS.
    public var status: Status?
    public var transparency: Transparency
    public var summary: String?
    public var recurrenceRules: [RecurrenceRule]
    public var recurrenceDates: [RecurrenceDate]
    public var exceptionDates: [EventTime]
    public var attendees: [Attendee]
    public var sequence: Int
    /// The line of its BEGIN:VEVENT.
    public var line: Int
    public var warnings: [CalendarWarning]

    public init(uid: String, recurrenceID: EventTime? = nil, recurrenceRange: RecurrenceRange = .thisInstance, start: EventTime,
                duration: EventDuration, status: Status? = nil, transparency: Transparency = .opaque, summary: String? = nil,
                recurrenceRules: [RecurrenceRule] = [], recurrenceDates: [RecurrenceDate] = [], exceptionDates: [EventTime] = [],
                attendees: [Attendee] = [], sequence: Int = 0, line: Int = 0, warnings: [CalendarWarning] = []) {
        self.uid = uid
        self.recurrenceID = recurrenceID
        self.recurrenceRange = recurrenceRange
        self.start = start
        self.duration = duration
        self.status = status
        self.transparency = transparency
        self.summary = summary
        self.recurrenceRules = recurrenceRules
        self.recurrenceDates = recurrenceDates
        self.exceptionDates = exceptionDates
        self.attendees = attendees
        self.sequence = sequence
        self.line = line
        self.warnings = warnings
    }

    /// Its start is a DATE: it takes whole days.
    public var isAllDay: Bool { start.isDate }

    /// The end of its first instance (or of the override's own instance).
    public var end: Date { duration.end(from: start) }

    public var isRecurring: Bool { !recurrenceRules.isEmpty || !recurrenceDates.isEmpty }
}

/// An RDATE value: an extra instance, with its own length when written as a PERIOD.
public struct RecurrenceDate: Sendable, Hashable {
    public var start: EventTime
    /// Nil: the event's own duration.
    public var duration: EventDuration?

    public init(start: EventTime, duration: EventDuration? = nil) {
        self.start = start
        self.duration = duration
    }
}

/// An ATTENDEE and how they answered the invitation.
public struct Attendee: Sendable, Hashable {
    public enum Participation: Sendable, Hashable {
        case needsAction, accepted, declined, tentative, delegated
        /// COMPLETED or IN-PROCESS (to-dos' answers) or an extension, upper-cased.
        case other(String)
    }

    /// The calendar address as written, usually `mailto:someone@example.com`.
    public var address: String
    /// PARTSTAT; NEEDS-ACTION when absent, as RFC 5545 §3.2.12 says.
    public var participation: Participation

    public init(address: String, participation: Participation = .needsAction) {
        self.address = address
        self.participation = participation
    }

    /// The address without `mailto:` and in lower case, to compare with a consultant's own.
    public var emailAddress: String { Self.normalizedEmail(address) }

    static func normalizedEmail(_ address: String) -> String {
        var trimmed = Substring(address.trimmingCharacters(in: .whitespaces))
        if trimmed.lowercased().hasPrefix("mailto:") { trimmed = trimmed.dropFirst("mailto:".count) }
        return trimmed.lowercased()
    }
}
