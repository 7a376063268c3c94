import CivilTime
import Foundation

/// A DATE or DATE-TIME value placed on a clock: a whole day, or a time of day on one zone's wall
/// clock (UTC for a value ending in `Z`). Recurrences step on this wall clock, so a weekly 10:00
/// stays at 10:00 through daylight-saving changes.
public struct EventTime: Sendable, Hashable {
    /// Seconds since 1970-01-01T00:00 on `zone`'s wall clock; a DATE is its day's midnight.
    public let localSeconds: Int
    public let zone: TimeZone
    /// A DATE value (an all-day event's day), not a time.
    public let isDate: Bool
    /// When `zone`'s clocks show `localSeconds`; a time skipped by a daylight-saving change is
    /// pushed forward by the length of the gap (RFC 5545 §3.3.5).
    public let instant: Date

    /// The day `date` in `zone` (an all-day event's days are the consultant's).
    public init(date: LocalDate, in zone: TimeZone) {
        self.init(localSeconds: date.daysSinceEpoch * Self.secondsPerDay, zone: zone, isDate: true)
    }

    /// `secondsIntoDay` after the start of `date` on `zone`'s wall clock (from 0 to 86 399; 86 400
    /// and more roll over into the next days).
    public init(date: LocalDate, secondsIntoDay: Int, in zone: TimeZone) {
        self.init(localSeconds: date.daysSinceEpoch * Self.secondsPerDay + secondsIntoDay, zone: zone, isDate: false)
    }

    init(localSeconds: Int, zone: TimeZone, isDate: Bool) {
        self.localSeconds = localSeconds
        self.zone = zone
        self.isDate = isDate
        instant = ZonedClock.instant(localSeconds: localSeconds, in: zone)
    }

    /// The day on `zone`'s wall clock.
    public var date: LocalDate { LocalDate(daysSinceEpoch: Self.day(ofLocalSeconds: localSeconds)) }

    public var secondsIntoDay: Int { localSeconds - Self.day(ofLocalSeconds: localSeconds) * Self.secondsPerDay }

    static let secondsPerDay = 86_400

    static func day(ofLocalSeconds seconds: Int) -> Int {
        seconds >= 0 ? seconds / secondsPerDay : -((-seconds + secondsPerDay - 1) / secondsPerDay)
    }
}

/// A DURATION (RFC 5545 §3.3.6), or the length DTEND gives an event. Days are nominal (a day on
/// the wall clock: 23 or 25 hours across a daylight-saving change), seconds exact.
public struct EventDuration: Sendable, Hashable {
    public let days: Int
    public let seconds: Int

    public static let zero = EventDuration(days: 0, seconds: 0)

    public init(days: Int = 0, seconds: Int = 0) {
        self.days = days
        self.seconds = seconds
    }

    public var isNegative: Bool { days < 0 || seconds < 0 }

    /// The end of a span of this length that starts at `start`: the days on its wall clock first,
    /// then the seconds, as RFC 5545 §3.3.6 orders them.
    public func end(from start: EventTime) -> Date {
        let afterDays = days == 0
            ? start.instant
            : ZonedClock.instant(localSeconds: start.localSeconds + days * EventTime.secondsPerDay, in: start.zone)
        return afterDays.addingTimeInterval(TimeInterval(seconds))
    }

    /// An upper bound on the exact length in seconds, whatever day it starts on.
    var longestSeconds: Int { max(0, days) * (EventTime.secondsPerDay + 7200) + max(0, seconds) }
}
