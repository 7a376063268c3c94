import Foundation
import ICalendar

/// The XML bodies of the requests a CalDAV client sends, built as text: the elements are few
/// and fixed, and the only values (a sync token, instants) are escaped or digits.
enum CalDAVQuery {
    static let header = #"<?xml version="1.0" encoding="utf-8"?>"#

    /// RFC 4791 §7.8: the VEVENTs overlapping [start, end), with their ETags and data.
    static func events(from start: Date, to end: Date) -> String {
        header + """
            <C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">\
            <D:prop><D:getetag/><C:calendar-data/></D:prop>\
            <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">\
            <C:time-range start="\(CalendarWriter.utc(start))" end="\(CalendarWriter.utc(end))"/>\
            </C:comp-filter></C:comp-filter></C:filter>\
            </C:calendar-query>
            """
    }

    /// RFC 6578 §3.2: the members changed or removed since `token` (all of them without one).
    static func changes(since token: String?) -> String {
        header + """
            <D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">\
            <D:sync-token>\(escaped(token ?? ""))</D:sync-token><D:sync-level>1</D:sync-level>\
            <D:prop><D:getetag/><C:calendar-data/></D:prop>\
            </D:sync-collection>
            """
    }

    /// The collection's sync token, if it has one (PROPFIND, Depth 0).
    static let syncTokenProperty = header + """
        <D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:sync-token/><CS:getctag/></D:prop></D:propfind>
        """

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
