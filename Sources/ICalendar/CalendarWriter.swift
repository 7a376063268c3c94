import Foundation

/// RFC 5545 text for one event, or a feed of many: CRLF line ends, content lines folded at 75
/// octets without splitting a UTF-8 sequence, TEXT values escaped, times as UTC DATE-TIME.
public enum CalendarWriter {
    public static let productIdentifier = "-//Booking Suite//EN"

    public static func calendar(_ event: CalendarEvent, method: CalendarMethod) -> String {
        document(["METHOD:\(method.rawValue)"], events: [event])
    }

    /// A calendar object resource on a CalDAV server (RFC 4791 §4.1): one event, no METHOD.
    public static func resource(_ event: CalendarEvent) -> String {
        document([], events: [event])
    }

    /// A calendar to subscribe to, which the subscriber's application fetches again every
    /// `refreshMinutes`: METHOD:PUBLISH, each event written as a file of one event writes it, and
    /// the name and the refresh interval twice, as RFC 7986 spells them (NAME, REFRESH-INTERVAL)
    /// and as Outlook, Apple Calendar and Google Calendar read them (X-WR-CALNAME, X-PUBLISHED-TTL).
    public static func feed(name: String, events: [CalendarEvent], refreshMinutes: Int) -> String {
        document([
            "METHOD:\(CalendarMethod.publish.rawValue)",
            "NAME:\(text(name))",
            "X-WR-CALNAME:\(text(name))",
            "REFRESH-INTERVAL;VALUE=DURATION:PT\(refreshMinutes)M",
            "X-PUBLISHED-TTL:PT\(refreshMinutes)M",
        ], events: events)
    }

    /// The VCALENDAR: its properties after the ones every file has, then the events.
    private static func document(_ properties: [String], events: [CalendarEvent]) -> String {
        var lines = ["BEGIN:VCALENDAR", "PRODID:\(productIdentifier)", "VERSION:2.0", "CALSCALE:GREGORIAN"] + properties
        for event in events { lines += eventLines(event) }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    private static func eventLines(_ event: CalendarEvent) -> [String] {
        var lines = [
            "BEGIN:VEVENT",
            "UID:\(text(event.uid))",
            "SEQUENCE:\(event.sequence)",
            "DTSTAMP:\(utc(event.stamp))",
            "DTSTART:\(utc(event.start))",
            "DTEND:\(utc(event.end))",
            "SUMMARY:\(text(event.summary))",
            "DESCRIPTION:\(text(event.description))",
        ]
        if let location = event.location { lines.append("LOCATION:\(text(location))") }
        if let url = event.url { lines.append("URL:\(singleLine(url))") }
        if let conference = event.conference { lines.append("CONFERENCE;VALUE=URI;FEATURE=VIDEO:\(singleLine(conference))") }
        if let organizer = event.organizer {
            lines.append("ORGANIZER\(commonName(organizer)):mailto:\(singleLine(organizer.address))")
        }
        for attendee in event.attendees {
            // RSVP=FALSE: replies would go to the organizer's mailbox, which nobody reads for them;
            // the client changes the appointment through the manage link instead.
            lines.append("ATTENDEE\(commonName(attendee));ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:\(singleLine(attendee.address))")
        }
        lines += [
            "STATUS:\(event.status.rawValue)",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
        return lines
    }

    /// Folds a content line: at most 75 octets per physical line, continuation lines start with
    /// a space (which counts), breaks only between Unicode scalars.
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

    /// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, and line breaks as `\n`;
    /// other control characters are not allowed in TEXT and are dropped.
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
                if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `;CN="…"`: a parameter value cannot hold a double quote or a line break at all.
    private static func commonName(_ participant: CalendarParticipant) -> String {
        guard let name = participant.name, !name.isEmpty else { return "" }
        let clean = singleLine(name).replacingOccurrences(of: "\"", with: "'")
        return ";CN=\"\(clean)\""
    }

    private static func singleLine(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
    }

    /// `20261201T070000Z` (whole seconds: DATE-TIME has no fraction).
    /// `20261203T090000Z`: a DATE-TIME in UTC (RFC 5545 §3.3.5, form 2), as events and CalDAV's
    /// time-range filters take it.
    public static func utc(_ date: Date) -> String {
        let c = utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
