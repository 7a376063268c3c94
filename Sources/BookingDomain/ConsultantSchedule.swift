import CivilTime
import Foundation

/// A consultant's own working week, read on their wall clock: for example Monday to Friday
/// 09:00–13:00 in Europe/Berlin. It narrows the business calendar's hours and never widens them,
/// so a slot is offered with the consultant only when both allow it.
public struct WeeklyHours: Sendable, Hashable, Codable, CustomStringConvertible {
    public struct Period: Sendable, Hashable {
        /// ISO weekday, 1 = Monday.
        public let weekday: Int
        public let opens: LocalTime
        public let closes: LocalTime
    }

    /// Sorted by weekday and opening time; periods of one day never overlap.
    public let periods: [Period]
    /// Minutes since midnight [opens, closes) per ISO weekday (index 1...7).
    private let minutes: [[ClosedRange<Int>]]

    public static let weekdayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Reads `mon-fri 09:00-13:00, sat 10:00-12:00`: comma-separated groups, each a weekday or a
    /// span of weekdays, then one or more `HH:MM-HH:MM` periods.
    public init(parsing text: String) throws(ScheduleError) {
        var periods: [Period] = []
        let groups = text.lowercased().split(separator: ",", omittingEmptySubsequences: false).map { $0.split(whereSeparator: \.isWhitespace) }
        guard !groups.isEmpty, groups.allSatisfy({ !$0.isEmpty }) else {
            throw .invalidHours(text, "give days and times, e.g. 'mon-fri 09:00-13:00'")
        }
        for words in groups {
            let days = try Self.weekdays(String(words[0]), in: text)
            guard words.count > 1 else { throw .invalidHours(text, "'\(words[0])' has no times; write e.g. '\(words[0]) 09:00-13:00'") }
            for word in words.dropFirst() {
                let ends = word.split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count == 2, let opens = LocalTime(String(ends[0])), let closes = LocalTime(String(ends[1])) else {
                    throw .invalidHours(text, "'\(word)' is not a period HH:MM-HH:MM")
                }
                guard opens < closes else { throw .invalidHours(text, "'\(word)' closes before it opens") }
                for day in days { periods.append(Period(weekday: day, opens: opens, closes: closes)) }
            }
        }
        periods.sort { ($0.weekday, $0.opens.minutesSinceMidnight) < ($1.weekday, $1.opens.minutesSinceMidnight) }
        var minutes = [[ClosedRange<Int>]](repeating: [], count: 8)
        for (index, period) in periods.enumerated() {
            if index > 0, periods[index - 1].weekday == period.weekday, periods[index - 1].closes > period.opens {
                throw .invalidHours(text, "two periods on \(Self.weekdayNames[period.weekday - 1]) overlap")
            }
            minutes[period.weekday].append(period.opens.minutesSinceMidnight...period.closes.minutesSinceMidnight)
        }
        self.periods = periods
        self.minutes = minutes
    }

    private static func weekdays(_ word: String, in text: String) throws(ScheduleError) -> [Int] {
        let ends = word.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        let numbers = ends.compactMap { weekdayNames.firstIndex(of: $0).map { $0 + 1 } }
        guard numbers.count == ends.count, (1...2).contains(numbers.count) else {
            throw .invalidHours(text, "'\(word)' is not a weekday or a span such as mon-fri (days: \(weekdayNames.joined(separator: " ")))")
        }
        guard numbers.count == 2 else { return numbers }
        guard numbers[0] <= numbers[1] else { throw .invalidHours(text, "'\(word)' runs backwards; write the days from Monday on") }
        return Array(numbers[0]...numbers[1])
    }

    /// Whether `range` lies within one period, read on the wall clock of `zone`.
    public func contains(_ range: DateTimeRange, in zone: TimeZone) -> Bool {
        let local = ZonedClock.localSeconds(of: range.start, in: zone)
        let day = (local / 86_400).rounded(.down)
        let startMinute = (local - day * 86_400) / 60
        let endMinute = startMinute + range.duration / 60
        let weekday = LocalDate(daysSinceEpoch: Int(day)).weekday
        return minutes[weekday].contains { Double($0.lowerBound) <= startMinute && endMinute <= Double($0.upperBound) }
    }

    /// The canonical text, which `init(parsing:)` reads back: one group per weekday.
    public var description: String {
        (1...7).compactMap { day -> String? in
            let times = periods.filter { $0.weekday == day }.map { "\($0.opens)-\($0.closes)" }
            return times.isEmpty ? nil : "\(Self.weekdayNames[day - 1]) \(times.joined(separator: " "))"
        }.joined(separator: ", ")
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func == (lhs: WeeklyHours, rhs: WeeklyHours) -> Bool { lhs.periods == rhs.periods }
    public func hash(into hasher: inout Hasher) { hasher.combine(periods) }
}

/// What a consultant's day allows beyond the business calendar: their own hours, the free time
/// they need around each appointment, and how many appointments a day they take.
public struct ConsultantSchedule: Sendable, Hashable, Codable {
    /// Nil: the business calendar's hours.
    public var hours: WeeklyHours?
    /// Seconds that must be free before an appointment: of other appointments and of busy time.
    public var bufferBefore: TimeInterval
    /// Seconds that must be free after one.
    public var bufferAfter: TimeInterval
    /// Appointments a day at most, the day read in the consultant's zone; nil: no cap.
    public var dailyLimit: Int?

    public static let businessHours = ConsultantSchedule()
    /// Buffers longer than this would only hide a mistake (a number of hours read as minutes).
    public static let maximumBuffer: TimeInterval = 4 * 3600
    public static let dailyLimits = 1...48

    public init(hours: WeeklyHours? = nil, bufferBefore: TimeInterval = 0, bufferAfter: TimeInterval = 0, dailyLimit: Int? = nil) {
        self.hours = hours
        self.bufferBefore = bufferBefore
        self.bufferAfter = bufferAfter
        self.dailyLimit = dailyLimit
    }

    /// The schedule if its values are within bounds; buffers in whole minutes.
    public static func validated(hours: WeeklyHours?, bufferBefore: TimeInterval, bufferAfter: TimeInterval,
                                 dailyLimit: Int?) throws(ScheduleError) -> ConsultantSchedule {
        for (name, buffer) in [("buffer_before", bufferBefore), ("buffer_after", bufferAfter)] {
            guard buffer >= 0, buffer <= maximumBuffer, buffer.truncatingRemainder(dividingBy: 60) == 0 else {
                throw .invalidBuffer(name + "_minutes", "must be whole minutes from 0 to \(Int(maximumBuffer / 60))")
            }
        }
        if let dailyLimit, !dailyLimits.contains(dailyLimit) {
            throw .invalidDailyLimit("must be from \(dailyLimits.lowerBound) to \(dailyLimits.upperBound), or none")
        }
        return ConsultantSchedule(hours: hours, bufferBefore: bufferBefore, bufferAfter: bufferAfter, dailyLimit: dailyLimit)
    }

    /// The least time between two of the consultant's appointments: each needs its buffers free
    /// of the other, so the larger of the two buffers separates them whichever comes first.
    public var spacing: TimeInterval { max(bufferBefore, bufferAfter) }

    /// Whether an appointment over `slot` keeps its buffers clear of `busy`.
    public func isClear(_ slot: DateTimeRange, of busy: DateTimeRange) -> Bool {
        !blocking(busy).overlaps(slot)
    }

    /// The part of the timeline an interval of busy time takes from appointments' starts and
    /// ends: the interval widened by the buffers, so a slot is clear exactly when it does not
    /// overlap the result.
    func blocking(_ busy: DateTimeRange) -> DateTimeRange {
        DateTimeRange(start: busy.start.addingTimeInterval(-bufferAfter), length: busy.duration + bufferAfter + bufferBefore)
    }

    /// What another appointment takes from this consultant's timeline.
    func blocking(appointment: DateTimeRange) -> DateTimeRange {
        DateTimeRange(start: appointment.start.addingTimeInterval(-spacing), length: appointment.duration + 2 * spacing)
    }

    /// The consultant's day (in `zone`) that contains `instant`, for the daily limit.
    public static func day(containing instant: Date, in zone: TimeZone) -> DateTimeRange {
        let date = LocalDate.containing(instant, in: zone)
        let start = date.start(in: zone)
        return DateTimeRange(start: start, length: date.adding(days: 1).start(in: zone).timeIntervalSince(start))
    }
}

/// Time a consultant is taken by something outside the suite, such as a meeting in their own
/// calendar: no appointment is offered over it or within their buffers around it.
public struct BusyInterval: Sendable, Hashable, Codable {
    public var consultantId: String
    public var range: DateTimeRange
    /// Where it came from, e.g. the calendar connection's name; the interval is replaced with
    /// everything else from its source.
    public var source: String
    /// The remote event it mirrors (its UID, and the occurrence for a recurring one), so an
    /// operator can find it; nil when the provider tells only that the time is busy.
    public var eventId: String?

    public init(consultantId: String, range: DateTimeRange, source: String, eventId: String? = nil) {
        self.consultantId = consultantId
        self.range = range
        self.source = source
        self.eventId = eventId
    }

    /// Sorted ranges with overlapping and touching ones joined: what a timeline walk needs.
    public static func merged(_ ranges: [DateTimeRange]) -> [DateTimeRange] {
        var result: [DateTimeRange] = []
        for range in ranges.sorted(by: { $0.start < $1.start }) {
            if let last = result.last, range.start <= last.end {
                if range.end > last.end { result[result.count - 1] = DateTimeRange(start: last.start, length: range.end.timeIntervalSince(last.start)) }
            } else {
                result.append(range)
            }
        }
        return result
    }
}

public enum ScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidHours(String, String)
    case invalidBuffer(String, String)
    case invalidDailyLimit(String)

    /// The request and configuration field the error is about.
    public var field: String {
        switch self {
        case .invalidHours: "hours"
        case let .invalidBuffer(field, _): field
        case .invalidDailyLimit: "daily_limit"
        }
    }

    public var message: String {
        switch self {
        case let .invalidHours(text, problem): "hours '\(text)': \(problem)"
        case let .invalidBuffer(field, problem): "\(field) \(problem)"
        case let .invalidDailyLimit(problem): "the daily limit \(problem)"
        }
    }

    public var description: String { message }
}
