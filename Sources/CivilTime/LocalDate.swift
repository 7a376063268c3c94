import Foundation

/// A calendar date without a time or zone, as the production calendar and people speak of days.
///
/// Arithmetic is done on a proleptic Gregorian day count rather than through `Calendar`, because
/// availability queries classify hundreds of days per request and `Calendar` is comparatively slow.
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A date known to exist; a date read from input goes through `init?(_:)` or `valid(year:month:day:)` instead.
    public init(year: Int, month: Int, day: Int) {
        precondition(LocalDate.isValid(year: year, month: month, day: day),
                     "\(year)-\(month)-\(day) is not a date between 0001-01-01 and 9999-12-31")
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date, or nil when no such day exists (e.g. February 30).
    public static func valid(year: Int, month: Int, day: Int) -> LocalDate? {
        isValid(year: year, month: month, day: day) ? LocalDate(unchecked: year, month, day) : nil
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = ASCIIDigits.value(bytes[0..<4]),
              let month = ASCIIDigits.value(bytes[5..<7]),
              let day = ASCIIDigits.value(bytes[8..<10]),
              LocalDate.isValid(year: year, month: month, day: day)
        else { return nil }
        self.init(unchecked: year, month, day)
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        ASCIIDigits.padded(year, 4) + "-" + ASCIIDigits.padded(month, 2) + "-" + ASCIIDigits.padded(day, 2)
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    /// Whole days from `self` to `other` (negative when `other` is earlier).
    public func days(until other: LocalDate) -> Int {
        other.daysSinceEpoch - daysSinceEpoch
    }

    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday (ISO 4).
        let mod = (daysSinceEpoch + 3) % 7
        return (mod < 0 ? mod + 7 : mod) + 1
    }

    public var isWeekend: Bool { weekday >= 6 }

    /// The first instant of this day in `timeZone` (usually its midnight; where midnight is skipped
    /// by a daylight-saving change, the first instant that exists).
    public func start(in timeZone: TimeZone) -> Date {
        ZonedClock.instant(localSeconds: daysSinceEpoch * 86_400, in: timeZone)
    }

    /// The instant at which clocks in `timeZone` show `time` on this day. A wall time skipped by a
    /// daylight-saving change maps forward by the size of the jump; a repeated one maps to its first occurrence.
    public func instant(at time: LocalTime, in timeZone: TimeZone) -> Date {
        ZonedClock.instant(localSeconds: daysSinceEpoch * 86_400 + time.minutesSinceMidnight * 60, in: timeZone)
    }

    /// The date that clocks in `timeZone` show at `instant`.
    public static func containing(_ instant: Date, in timeZone: TimeZone) -> LocalDate {
        let local = ZonedClock.localSeconds(of: instant, in: timeZone)
        return LocalDate(daysSinceEpoch: Int((local / 86_400).rounded(.down)))
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a date as YYYY-MM-DD, got \"\(text)\"")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: Day count (Howard Hinnant's civil-date algorithms)

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    public init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(unchecked: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        return day <= daysIn(month: month, year: year)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A wall-clock time of day to the minute, as business hours are stated.
public struct LocalTime: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int

    public init(hour: Int, minute: Int = 0) {
        precondition((0...23).contains(hour) && (0...59).contains(minute), "\(hour):\(minute) is not a time of day")
        self.hour = hour
        self.minute = minute
    }

    /// Parses exactly `HH:MM` (24-hour clock).
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"),
              let hour = ASCIIDigits.value(bytes[0..<2]), let minute = ASCIIDigits.value(bytes[3..<5]),
              hour < 24, minute < 60
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    public var minutesSinceMidnight: Int { hour * 60 + minute }

    /// `HH:MM`.
    public var description: String { ASCIIDigits.padded(hour, 2) + ":" + ASCIIDigits.padded(minute, 2) }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        lhs.minutesSinceMidnight < rhs.minutesSinceMidnight
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = LocalTime(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a time as HH:MM, got \"\(text)\"")
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Conversions between instants and wall-clock seconds, done with offsets rather than `Calendar`
/// so that they stay cheap inside per-slot loops.
public enum ZonedClock {
    /// Seconds since 1970-01-01T00:00 on the wall clock of `timeZone` at `instant`.
    public static func localSeconds(of instant: Date, in timeZone: TimeZone) -> Double {
        instant.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: instant))
    }

    /// The instant at which the wall clock of `timeZone` reads `localSeconds`.
    public static func instant(localSeconds: Int, in timeZone: TimeZone) -> Date {
        let local = Double(localSeconds)
        // Offsets a day either side bracket any single daylight-saving change around this wall time.
        let offsetBefore = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local - 86_400)))
        let offsetAfter = Double(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: local + 86_400)))
        let early = Date(timeIntervalSince1970: local - offsetBefore)
        if offsetBefore == offsetAfter {
            // No change nearby, unless the zone changed twice; then trust the offset at the guess.
            let offset = Double(timeZone.secondsFromGMT(for: early))
            return offset == offsetBefore ? early : Date(timeIntervalSince1970: local - offset)
        }
        let late = Date(timeIntervalSince1970: local - offsetAfter)
        let earlyExists = Double(timeZone.secondsFromGMT(for: early)) == offsetBefore
        let lateExists = Double(timeZone.secondsFromGMT(for: late)) == offsetAfter
        switch (earlyExists, lateExists) {
        case (true, true): return min(early, late)  // a repeated wall time: its first occurrence
        case (true, false): return early
        case (false, true): return late
        case (false, false): return early  // a skipped wall time: read with the old offset, i.e. pushed forward
        }
    }
}

enum ASCIIDigits {
    static func value<C: Collection>(_ bytes: C) -> Int? where C.Element == UInt8 {
        var result = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let sign = value < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
