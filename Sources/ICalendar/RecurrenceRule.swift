import CivilTime
import Foundation

/// An RRULE (RFC 5545 §3.3.10): the pattern a recurring event's instances follow.
public struct RecurrenceRule: Sendable, Hashable {
    public enum Frequency: Int, Sendable, Hashable, Comparable {
        case secondly, minutely, hourly, daily, weekly, monthly, yearly

        public static func < (lhs: Frequency, rhs: Frequency) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Numbered as `LocalDate.weekday` numbers days: Monday is 1, Sunday 7.
    public enum Weekday: Int, Sendable, Hashable, CaseIterable {
        case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday
    }

    /// A BYDAY entry: every such weekday (`MO`), or the nth of the month or year (`1MO`, `-1FR`).
    public struct OrdinalWeekday: Sendable, Hashable {
        public var weekday: Weekday
        /// 1 is the first, -1 the last; nil is every one.
        public var ordinal: Int?

        public init(_ weekday: Weekday, ordinal: Int? = nil) {
            self.weekday = weekday
            self.ordinal = ordinal
        }
    }

    /// The UNTIL bound, inclusive (RFC 5545 §3.3.10). RFC 5545 wants the kind of DTSTART; any form
    /// is taken with any start.
    public enum Until: Sendable, Hashable {
        /// A DATE: instances on this day (on the event's clock) are the last.
        case date(LocalDate)
        /// A UTC DATE-TIME, as RFC 5545 requires for zoned and UTC starts.
        case instant(Date)
        /// A floating DATE-TIME, compared on the event's own wall clock.
        case localTime(LocalDate, secondsIntoDay: Int)
    }

    public var frequency: Frequency
    public var interval: Int
    public var count: Int?
    public var until: Until?
    public var bySecond: [Int]
    public var byMinute: [Int]
    public var byHour: [Int]
    public var byDay: [OrdinalWeekday]
    public var byMonthDay: [Int]
    public var byYearDay: [Int]
    public var byWeekNumber: [Int]
    public var byMonth: [Int]
    public var bySetPosition: [Int]
    public var weekStart: Weekday

    public init(frequency: Frequency, interval: Int = 1, count: Int? = nil, until: Until? = nil, bySecond: [Int] = [], byMinute: [Int] = [],
                byHour: [Int] = [], byDay: [OrdinalWeekday] = [], byMonthDay: [Int] = [], byYearDay: [Int] = [], byWeekNumber: [Int] = [],
                byMonth: [Int] = [], bySetPosition: [Int] = [], weekStart: Weekday = .monday) {
        self.frequency = frequency
        self.interval = interval
        self.count = count
        self.until = until
        self.bySecond = bySecond
        self.byMinute = byMinute
        self.byHour = byHour
        self.byDay = byDay
        self.byMonthDay = byMonthDay
        self.byYearDay = byYearDay
        self.byWeekNumber = byWeekNumber
        self.byMonth = byMonth
        self.bySetPosition = bySetPosition
        self.weekStart = weekStart
    }

    /// Reads an RRULE value such as `FREQ=MONTHLY;BYDAY=-1FR;COUNT=10`. Rule parts are
    /// case-insensitive and in any order. Rejected: a part given twice, values out of RFC 5545's
    /// ranges, BYWEEKNO outside YEARLY, BYYEARDAY in DAILY, WEEKLY or MONTHLY, BYMONTHDAY in WEEKLY,
    /// BYDAY ordinals outside MONTHLY and YEARLY (or with BYWEEKNO), and RFC 7529's non-Gregorian
    /// RSCALE. COUNT with UNTIL, which RFC 5545 forbids, is accepted: whichever ends first ends it.
    public init(parsing text: String) throws(ICalendarReadError) {
        try self.init(parsing: text, line: 0)
    }

    init(parsing text: String, line: Int) throws(ICalendarReadError) {
        func failure(_ message: String) -> ICalendarReadError {
            ICalendarReadError(.invalidRecurrenceRule, line: line, "RRULE: \(message)")
        }
        var seen: Set<String> = []
        var frequency: Frequency?
        self.init(frequency: .daily)
        for part in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "=") else { throw failure("a rule part must be NAME=VALUE") }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces).uppercased()
            let value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard seen.insert(name).inserted else { throw failure("\(name) is given twice") }
            let list = value.split(separator: ",", omittingEmptySubsequences: false)
            func numbers(_ range: ClosedRange<Int>, allowNegative: Bool) throws(ICalendarReadError) -> [Int] {
                var result: [Int] = []
                for item in list {
                    let number = ValueSyntax.integer(item)
                    let valid = number.map { allowNegative ? $0 != 0 && range.contains(abs($0)) : range.contains($0) && !item.hasPrefix("-") } ?? false
                    guard let number, valid else {
                        throw failure("\(name) must list numbers from \(allowNegative ? "±" : "")\(range.lowerBound) to \(range.upperBound)")
                    }
                    result.append(number)
                }
                return result
            }
            switch name {
            case "FREQ":
                guard let parsed = Self.frequencies[value.uppercased()] else { throw failure("FREQ must be one of SECONDLY … YEARLY") }
                frequency = parsed
            case "INTERVAL":
                // A million periods is beyond any calendar's use and keeps period arithmetic far from overflow.
                guard let number = ValueSyntax.integer(value[...]), (1...1_000_000).contains(number) else {
                    throw failure("INTERVAL must be a whole number from 1 to 1000000")
                }
                interval = number
            case "COUNT":
                guard let number = ValueSyntax.integer(value[...]), number >= 1 else { throw failure("COUNT must be a whole number from 1") }
                count = number
            case "UNTIL":
                switch ValueSyntax.time(value[...]) {
                case .date(let date): until = .date(date)
                case .utc(let date, let seconds): until = .instant(EventTime(date: date, secondsIntoDay: seconds, in: .gmt).instant)
                case .local(let date, let seconds): until = .localTime(date, secondsIntoDay: seconds)
                case nil: throw failure("UNTIL must be a DATE or DATE-TIME such as 20261231T235959Z")
                }
            case "BYSECOND": bySecond = try numbers(0...60, allowNegative: false)
            case "BYMINUTE": byMinute = try numbers(0...59, allowNegative: false)
            case "BYHOUR": byHour = try numbers(0...23, allowNegative: false)
            case "BYMONTHDAY": byMonthDay = try numbers(1...31, allowNegative: true)
            case "BYYEARDAY": byYearDay = try numbers(1...366, allowNegative: true)
            case "BYWEEKNO": byWeekNumber = try numbers(1...53, allowNegative: true)
            case "BYMONTH": byMonth = try numbers(1...12, allowNegative: false)
            case "BYSETPOS": bySetPosition = try numbers(1...366, allowNegative: true)
            case "BYDAY":
                byDay = []
                for item in list {
                    guard let weekday = Self.ordinalWeekday(item) else {
                        throw failure("BYDAY must list weekdays such as MO, 1MO or -1FR (ordinals from 1 to 53)")
                    }
                    byDay.append(weekday)
                }
            case "WKST":
                guard let weekday = Self.weekdays[value.uppercased()] else { throw failure("WKST must be a weekday such as MO or SU") }
                weekStart = weekday
            case "RSCALE":
                guard value.uppercased() == "GREGORIAN" else { throw failure("only the Gregorian calendar (RSCALE=GREGORIAN) is supported") }
            case "SKIP":
                // RFC 7529's default, which is what RFC 5545 does: invalid dates are left out.
                guard value.uppercased() == "OMIT" else { throw failure("only SKIP=OMIT is supported") }
            default:
                guard name.hasPrefix("X-") else { throw failure("unknown rule part \(name)") }
            }
        }
        guard let frequency else { throw failure("FREQ is required") }
        self.frequency = frequency
        if !byWeekNumber.isEmpty, frequency != .yearly { throw failure("BYWEEKNO is only allowed with FREQ=YEARLY") }
        if !byYearDay.isEmpty, [.daily, .weekly, .monthly].contains(frequency) {
            throw failure("BYYEARDAY is not allowed with FREQ=\(Self.name(of: frequency))")
        }
        if !byMonthDay.isEmpty, frequency == .weekly { throw failure("BYMONTHDAY is not allowed with FREQ=WEEKLY") }
        if byDay.contains(where: { $0.ordinal != nil }) {
            if frequency != .monthly && frequency != .yearly { throw failure("BYDAY ordinals such as 1MO need FREQ=MONTHLY or YEARLY") }
            if !byWeekNumber.isEmpty { throw failure("BYDAY ordinals such as 1MO are not allowed with BYWEEKNO") }
        }
    }

    private static let frequencies: [String: Frequency] = [
        "SECONDLY": .secondly, "MINUTELY": .minutely, "HOURLY": .hourly, "DAILY": .daily,
        "WEEKLY": .weekly, "MONTHLY": .monthly, "YEARLY": .yearly,
    ]

    private static let weekdays: [String: Weekday] = [
        "MO": .monday, "TU": .tuesday, "WE": .wednesday, "TH": .thursday, "FR": .friday, "SA": .saturday, "SU": .sunday,
    ]

    static func name(of frequency: Frequency) -> String {
        frequencies.first { $0.value == frequency }?.key ?? "\(frequency)"
    }

    /// `MO`, `1MO`, `+2TU`, `-1FR`.
    private static func ordinalWeekday(_ item: Substring) -> OrdinalWeekday? {
        let text = item.trimmingCharacters(in: .whitespaces).uppercased()
        guard text.count >= 2, let weekday = weekdays[String(text.suffix(2))] else { return nil }
        let prefix = text.dropLast(2)
        guard !prefix.isEmpty else { return OrdinalWeekday(weekday) }
        guard let ordinal = ValueSyntax.integer(prefix[...]), (1...53).contains(abs(ordinal)) else { return nil }
        return OrdinalWeekday(weekday, ordinal: ordinal)
    }
}
