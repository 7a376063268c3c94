import Foundation

/// The events of one iCalendar text (a CalDAV resource or a whole `.ics` file).
public struct CalendarDocument: Sendable {
    public var events: [ImportedEvent]
    /// About events left out; each event's own warnings are on the event.
    public var warnings: [CalendarWarning]

    public init(events: [ImportedEvent], warnings: [CalendarWarning] = []) {
        self.events = events
        self.warnings = warnings
    }
}

/// Reads the VEVENTs of iCalendar text (RFC 5545); other components are skipped. VTIMEZONE is
/// not read: a TZID is looked up by name (`TimeZoneNames`), then by its VTIMEZONE's
/// X-LIC-LOCATION, and one neither knows is read on the default zone's clock with a warning, as
/// floating times and DATEs are (the default zone is the consultant's). What is not iCalendar,
/// and any time, duration or rule an event needs that cannot be read, throws; an event without
/// DTSTART is left out and an unreadable optional property defaulted, each with a warning.
public enum CalendarReader {
    public static func read(_ text: String, defaultZone: TimeZone) throws(ICalendarReadError) -> CalendarDocument {
        try read(ContentLine.lines(in: text), defaultZone: defaultZone)
    }

    /// The same from undecoded bytes (a CalDAV response body): see `ContentLine.lines(inUTF8:)`.
    public static func read(utf8 bytes: some Collection<UInt8>, defaultZone: TimeZone) throws(ICalendarReadError) -> CalendarDocument {
        try read(ContentLine.lines(inUTF8: bytes), defaultZone: defaultZone)
    }

    private static func read(_ lines: [ContentLine], defaultZone: TimeZone) throws(ICalendarReadError) -> CalendarDocument {
        let calendars = try CalendarComponent.components(of: lines)
        var document = CalendarDocument(events: [])
        for calendar in calendars {
            var reader = EventReader(defaultZone: defaultZone, locations: timeZoneLocations(in: calendar))
            for component in calendar.components where component.name == "VEVENT" {
                if let event = try reader.event(from: component) {
                    document.events.append(event)
                } else {
                    document.warnings.append(CalendarWarning(.skippedEvent, line: component.line, uid: reader.uid(of: component),
                                                             "a VEVENT without DTSTART cannot be placed in time and was left out"))
                }
            }
        }
        return document
    }

    /// TZID to the IANA name a VTIMEZONE gives in X-LIC-LOCATION (Lightning, Radicale).
    private static func timeZoneLocations(in calendar: CalendarComponent) -> [String: String] {
        var locations: [String: String] = [:]
        for zone in calendar.components where zone.name == "VTIMEZONE" {
            if let tzid = zone.property(named: "TZID")?.textValue, let location = zone.property(named: "X-LIC-LOCATION")?.textValue {
                locations[tzid] = location
            }
        }
        return locations
    }
}
