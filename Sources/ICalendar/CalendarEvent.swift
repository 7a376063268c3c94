import Foundation

/// One appointment as an iCalendar event (RFC 5545), the same whichever way it reaches a
/// client's calendar: the booking page's `.ics` file or the invite in an email. Calendars match
/// what they already have by UID and keep the version with the highest SEQUENCE, so both must
/// come from here.
public struct CalendarEvent: Sendable, Equatable {
    public enum Status: String, Sendable {
        case confirmed = "CONFIRMED"
        case cancelled = "CANCELLED"
    }

    /// The appointment's id, a UUID: RFC 7986 §5.3 recommends one, and it tells nothing about
    /// the booking (the reference, a secret, never goes here).
    public let uid: String
    /// The appointment's revision: it only grows with each change of time, consultant or status.
    public let sequence: Int
    public var start: Date
    public var end: Date
    /// When this version of the event was written (DTSTAMP).
    public var stamp: Date
    public var status: Status
    public var summary: String
    public var description: String
    public var location: String?
    public var url: String?
    /// A video call's room (RFC 7986 CONFERENCE, FEATURE=VIDEO).
    public var conference: String?
    public var organizer: CalendarParticipant?
    public var attendees: [CalendarParticipant]

    /// `meetingLink` (a video call's room) or `meetingAddress` (an office) is where the event
    /// happens: LOCATION, and for a room also URL and CONFERENCE, so a calendar offers to join.
    public init(appointmentID: String, revision: Int, start: Date, end: Date, stamp: Date, status: Status, summary: String,
                description: String, location: String? = nil, url: String? = nil, meetingLink: String? = nil, meetingAddress: String? = nil,
                organizer: CalendarParticipant? = nil, attendees: [CalendarParticipant] = []) {
        uid = appointmentID
        sequence = revision
        self.start = start
        self.end = end
        self.stamp = stamp
        self.status = status
        self.summary = summary
        self.description = description
        self.location = meetingAddress ?? meetingLink ?? location
        self.url = meetingLink ?? url
        conference = meetingLink
        self.organizer = organizer
        self.attendees = attendees
    }
}

/// An organizer or attendee: an email address and the name a calendar shows for it.
public struct CalendarParticipant: Sendable, Equatable {
    public var name: String?
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }
}

/// What a calendar file asks of the calendar that reads it (RFC 5546): PUBLISH a copy (the
/// page's file), REQUEST that the event be added or moved (an invite), CANCEL it.
public enum CalendarMethod: String, Sendable {
    case publish = "PUBLISH"
    case request = "REQUEST"
    case cancel = "CANCEL"
}
