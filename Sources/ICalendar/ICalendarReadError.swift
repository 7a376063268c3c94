/// Why a calendar text could not be read, and where. Messages name properties but never quote
/// their values: a consultant's event titles and attendees are nobody else's business, and these
/// messages end up in logs.
public struct ICalendarReadError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A content line that is not `NAME *(;PARAM=VALUE) :VALUE` (RFC 5545 §3.1).
        case malformedLine
        /// BEGIN and END that do not pair up, or a property outside any component.
        case unbalancedComponents
        /// Text with no VCALENDAR in it.
        case notACalendar
        /// A date, date-time, duration, period or number that cannot be read.
        case invalidValue
        /// An RRULE that RFC 5545 §3.3.10 does not allow, or one this reader cannot expand.
        case invalidRecurrenceRule
    }

    public let kind: Kind
    /// The physical line (from 1) on which the offending content line starts; 0 for a value read
    /// on its own (a rule given to `RecurrenceRule(parsing:)`).
    public let line: Int
    public let message: String

    public init(_ kind: Kind, line: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "line \(line): \(message)" : message
    }
}

/// Something the reader or the expansion did not take as written but worked around; the calendar
/// was still read. The daemon logs these so an odd calendar can be looked into.
public struct CalendarWarning: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A TZID no zone is known by: the time was read on the default zone's clock instead.
        case unknownTimeZone
        /// An optional property that could not be read and was left at its default.
        case unreadableProperty
        /// An event that cannot be placed in time (no DTSTART) and was left out.
        case skippedEvent
        /// The same event (UID and RECURRENCE-ID) more than once; the highest SEQUENCE was kept.
        case duplicateEvent
        /// Expansion stopped at the instance or iteration cap before the window's end.
        case truncatedExpansion
    }

    public let kind: Kind
    /// Where the event (its BEGIN:VEVENT) or the property starts; 0 when not from one place.
    public let line: Int
    public let uid: String?
    public let message: String

    public init(_ kind: Kind, line: Int, uid: String?, _ message: String) {
        self.kind = kind
        self.line = line
        self.uid = uid
        self.message = message
    }

    public var description: String {
        let place = line > 0 ? "line \(line): " : ""
        let event = uid.map { "event \($0): " } ?? ""
        return place + event + message
    }
}
