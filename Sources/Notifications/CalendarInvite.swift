import Foundation

/// An iTIP message (RFC 5546) about one appointment. `uid` stays the same for the appointment's
/// life and `sequence` grows with every change, which is how Google Calendar, Outlook and Apple
/// Calendar know to move or remove the event they already have instead of adding another.
public struct CalendarInvite: Sendable, Equatable {
    public enum Method: String, Sendable { case request = "REQUEST", cancel = "CANCEL" }

    public var uid: String
    public var sequence: Int
    public var method: Method
    public var start: Date
    public var end: Date
    /// When this version of the event was written (DTSTAMP).
    public var stamp: Date
    public var summary: String
    public var description: String
    public var location: String?
    public var url: String?
    public var organizer: Mailbox
    public var attendees: [Mailbox]

    public init(uid: String, sequence: Int, method: Method, start: Date, end: Date, stamp: Date, summary: String, description: String,
                location: String? = nil, url: String? = nil, organizer: Mailbox, attendees: [Mailbox]) {
        self.uid = uid
        self.sequence = sequence
        self.method = method
        self.start = start
        self.end = end
        self.stamp = stamp
        self.summary = summary
        self.description = description
        self.location = location
        self.url = url
        self.organizer = organizer
        self.attendees = attendees
    }

    /// A UID that is the same every time for one appointment: `<appointment id>@<domain>`.
    public static func uid(appointmentID: String, domain: String) -> String { "\(appointmentID)@\(domain)" }

    public static let productIdentifier = "-//Booking Suite//notifyd//EN"

    /// RFC 5545 text: CRLF line ends, lines folded at 75 octets without splitting a UTF-8
    /// sequence, TEXT values escaped, times in UTC.
    public func encoded() -> String {
        var lines = [
            "BEGIN:VCALENDAR",
            "PRODID:\(Self.productIdentifier)",
            "VERSION:2.0",
            "CALSCALE:GREGORIAN",
            "METHOD:\(method.rawValue)",
            "BEGIN:VEVENT",
            "UID:\(Self.text(uid))",
            "SEQUENCE:\(sequence)",
            "DTSTAMP:\(Self.utc(stamp))",
            "DTSTART:\(Self.utc(start))",
            "DTEND:\(Self.utc(end))",
            "SUMMARY:\(Self.text(summary))",
            "DESCRIPTION:\(Self.text(description))",
        ]
        if let location { lines.append("LOCATION:\(Self.text(location))") }
        if let url { lines.append("URL:\(Self.singleLine(url))") }
        lines.append("ORGANIZER\(Self.commonName(organizer)):mailto:\(Self.singleLine(organizer.address))")
        for attendee in attendees {
            // RSVP=FALSE: replies would go to the organizer's mailbox, which nobody reads for them;
            // the client changes the appointment through the manage link instead.
            lines.append("ATTENDEE\(Self.commonName(attendee));ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:\(Self.singleLine(attendee.address))")
        }
        lines += [
            "STATUS:\(method == .cancel ? "CANCELLED" : "CONFIRMED")",
            "TRANSP:OPAQUE",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        return lines.map(Self.fold).joined(separator: "\r\n") + "\r\n"
    }

    /// Folds a content line: at most 75 octets per line, continuation lines start with a space
    /// (which counts), breaks only between Unicode scalars.
    static func fold(_ line: String) -> String {
        var result = ""
        var octets = 0
        for scalar in line.unicodeScalars {
            let size = String(scalar).utf8.count
            if octets + size > 75 {
                result += "\r\n "
                octets = 1
            }
            result.unicodeScalars.append(scalar)
            octets += size
        }
        return result
    }

    /// TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, and line breaks as `\n`.
    static func text(_ value: String) -> String {
        var out = ""
        var scalars = value.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r":
                out += "\\n"
                if pending == "\n" { pending = scalars.next() }
            case "\n": out += "\\n"
            default:
                // Other control characters are not allowed in TEXT.
                if scalar.value < 0x20 && scalar != "\t" { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `;CN="…"`: a parameter value cannot hold a double quote or a line break at all.
    private static func commonName(_ mailbox: Mailbox) -> String {
        guard let name = mailbox.name, !name.isEmpty else { return "" }
        let clean = singleLine(name).replacingOccurrences(of: "\"", with: "'")
        return ";CN=\"\(clean)\""
    }

    private static func singleLine(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// `20261201T070000Z`.
    static func utc(_ date: Date) -> String {
        let c = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }

    static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
