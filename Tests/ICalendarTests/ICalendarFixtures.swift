import CivilTime
import Foundation
@testable import ICalendar

/// Zones, instants and calendar texts the reader's tests share.
enum ICalendarFixtures {
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let moscow = TimeZone(identifier: "Europe/Moscow")!
    static let utc = TimeZone(identifier: "UTC")!

    /// An instant written as RFC 3339 (`2026-03-16T09:00:00Z`, or with an offset).
    static func instant(_ text: String) -> Date {
        guard let date = ISO8601.parseInstant(text) else { fatalError("not an instant: \(text)") }
        return date
    }

    static func window(_ from: String, _ to: String) -> Range<Date> {
        instant(from)..<instant(to)
    }

    /// `2026-03-16T10:00` on `zone`'s wall clock.
    static func wallClock(_ text: String, in zone: TimeZone) -> EventTime {
        guard let date = LocalDate(String(text.prefix(10))), let time = LocalTime(String(text.suffix(5))) else {
            fatalError("not a wall-clock time: \(text)")
        }
        return EventTime(date: date, secondsIntoDay: time.minutesSinceMidnight * 60, in: zone)
    }

    /// A VCALENDAR around `lines`, CRLF after each line.
    static func calendar(_ lines: String...) -> String {
        (["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tests//EN"] + lines + ["END:VCALENDAR"]).joined(separator: "\r\n") + "\r\n"
    }

    /// A VEVENT of `lines`, with a UID unless they have one.
    static func event(_ lines: String...) -> String {
        event(lines)
    }

    static func event(_ lines: [String]) -> String {
        let uid = lines.contains { $0.hasPrefix("UID") } ? [] : ["UID:event@example.com"]
        return (["BEGIN:VEVENT", "DTSTAMP:20260101T000000Z"] + uid + lines + ["END:VEVENT"]).joined(separator: "\r\n")
    }

    static func read(_ text: String, defaultZone: TimeZone = moscow) throws -> CalendarDocument {
        try CalendarReader.read(text, defaultZone: defaultZone)
    }

    /// The first event of `text`, read with `defaultZone`.
    static func onlyEvent(_ text: String, defaultZone: TimeZone = moscow) throws -> ImportedEvent {
        let events = try read(text, defaultZone: defaultZone).events
        guard events.count == 1, let event = events.first else { throw UnexpectedEvents(count: events.count) }
        return event
    }

    struct UnexpectedEvents: Error {
        let count: Int
    }
}
