import CivilTime
import Foundation

public enum DayKind: String, Sendable, Hashable, Codable, CaseIterable {
    case working
    /// A working day one hour shorter, before a holiday.
    case shortened
    case weekend
    /// A fixed holiday of Labour Code art. 112, whatever its weekday.
    case holiday
    /// A weekday off moved there by the government decree.
    case dayOff = "day_off"
    /// A Saturday or Sunday the decree makes a working day.
    case workingWeekend = "working_weekend"
    /// A day that would be working but is closed for bookings by an administrator.
    case blocked

    /// Has business hours (and so slots).
    public var isWorking: Bool {
        switch self {
        case .working, .shortened, .workingWeekend: true
        case .weekend, .holiday, .dayOff, .blocked: false
        }
    }
}

/// A day as the booking suite sees it; `opens`/`closes` are wall times in the calendar's zone.
public struct CalendarDay: Sendable, Hashable, Codable {
    public var date: LocalDate
    public var kind: DayKind
    /// Nil on a day without hours.
    public var opens: LocalTime?
    public var closes: LocalTime?
    /// Why the day is special (the holiday's name, a block's reason); nil for ordinary days.
    public var reason: String?

    public init(date: LocalDate, kind: DayKind, opens: LocalTime?, closes: LocalTime?, reason: String? = nil) {
        self.date = date
        self.kind = kind
        self.opens = opens
        self.closes = closes
        self.reason = reason
    }
}

/// The business rules of the calendar; the defaults are the sales team's.
public struct CalendarPolicy: Sendable, Hashable, Codable {
    /// The zone in which business hours and days are read.
    public var timeZone: TimeZone
    public var opens: LocalTime
    public var closes: LocalTime
    /// Seconds.
    public var slotLength: TimeInterval
    /// How many calendar days, today included, can be booked.
    public var horizonDays: Int
    /// Seconds between now and the earliest bookable start.
    public var minimumNotice: TimeInterval
    /// Seconds taken off `closes` on a shortened day.
    public var preHolidayShortening: TimeInterval

    public static let moscowTimeZone = TimeZone(identifier: "Europe/Moscow")!

    public init(timeZone: TimeZone = CalendarPolicy.moscowTimeZone,
                opens: LocalTime = LocalTime(hour: 9), closes: LocalTime = LocalTime(hour: 18),
                slotLength: TimeInterval = 30 * 60, horizonDays: Int = 14,
                minimumNotice: TimeInterval = 2 * 3600, preHolidayShortening: TimeInterval = 3600) {
        precondition(slotLength >= 60, "slots must be at least a minute long")
        self.timeZone = timeZone
        self.opens = opens
        self.closes = closes
        self.slotLength = slotLength
        self.horizonDays = horizonDays
        self.minimumNotice = minimumNotice
        self.preHolidayShortening = preHolidayShortening
    }

    /// Closing time on a shortened day.
    public var shortenedCloses: LocalTime {
        let minutes = max(opens.minutesSinceMidnight, closes.minutesSinceMidnight - Int(preHolidayShortening / 60))
        return LocalTime(hour: minutes / 60, minute: minutes % 60)
    }

    private enum CodingKeys: String, CodingKey {
        case timeZone, opens, closes, slotLength, horizonDays, minimumNotice, preHolidayShortening
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let identifier = try container.decode(String.self, forKey: .timeZone)
        guard let zone = TimeZone(identifier: identifier) else {
            throw DecodingError.dataCorruptedError(forKey: .timeZone, in: container,
                                                   debugDescription: "unknown time zone \"\(identifier)\"")
        }
        self.init(timeZone: zone,
                  opens: try container.decode(LocalTime.self, forKey: .opens),
                  closes: try container.decode(LocalTime.self, forKey: .closes),
                  slotLength: try container.decode(TimeInterval.self, forKey: .slotLength),
                  horizonDays: try container.decode(Int.self, forKey: .horizonDays),
                  minimumNotice: try container.decode(TimeInterval.self, forKey: .minimumNotice),
                  preHolidayShortening: try container.decode(TimeInterval.self, forKey: .preHolidayShortening))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timeZone.identifier, forKey: .timeZone)
        try container.encode(opens, forKey: .opens)
        try container.encode(closes, forKey: .closes)
        try container.encode(slotLength, forKey: .slotLength)
        try container.encode(horizonDays, forKey: .horizonDays)
        try container.encode(minimumNotice, forKey: .minimumNotice)
        try container.encode(preHolidayShortening, forKey: .preHolidayShortening)
    }
}

/// Days an administrator closed for bookings, `from` through `through` inclusive.
public struct BlockedPeriod: Sendable, Hashable, Codable {
    public var from: LocalDate
    public var through: LocalDate
    public var reason: String

    public init(from: LocalDate, through: LocalDate, reason: String) {
        self.from = from
        self.through = through
        self.reason = reason
    }

    /// A period whose `through` is before `from` contains no day.
    public func contains(_ date: LocalDate) -> Bool { from <= date && date <= through }
}

/// Why a start time cannot be booked. Times are told in the calendar's zone, like everything an
/// operator or a client reads, and a refusal says what would work: the day's hours, the earliest
/// or latest time, the next free times.
public enum SlotRuleViolation: Error, Sendable, Hashable, CustomStringConvertible {
    case offGrid
    case inPast
    /// The day's hours (shorter on a shortened day), in the calendar's zone.
    case outsideWorkingHours(opens: LocalTime, closes: LocalTime, zone: TimeZone)
    case nonWorkingDay(DayKind, reason: String?)
    case tooSoon(earliest: Date, zone: TimeZone)
    case beyondHorizon(latest: Date, zone: TimeZone)
    case unknownConsultant(String)
    /// `nextFree`: the next starts at which the consultant is free (at most three; none when
    /// nothing is free until the horizon ends).
    case consultantUnavailable(String, nextFree: [Date], zone: TimeZone)
    case noConsultantFree(nextFree: [Date], zone: TimeZone)

    public var message: String {
        switch self {
        case .offGrid:
            return "the time is not the start of a slot; slots start every 30 minutes from opening time"
        case .inPast:
            return "the time is in the past"
        case let .outsideWorkingHours(opens, closes, zone):
            return "the slot is outside working hours; that day consultations are from \(opens) to \(closes) (\(zone.identifier))"
        case let .nonWorkingDay(kind, reason):
            let detail = reason.map { " (\($0))" } ?? ""
            switch kind {
            case .weekend: return "the day is a weekend day\(detail); consultations are on working days only"
            case .holiday: return "the day is a public holiday\(detail); consultations are on working days only"
            case .dayOff: return "the day is a day off\(detail); consultations are on working days only"
            case .blocked: return "the day is closed for bookings\(detail)"
            case .working, .shortened, .workingWeekend: return "the day has no consultations\(detail)"
            }
        case let .tooSoon(earliest, zone):
            return "the slot starts too soon; the earliest bookable time is \(ISO8601.local(earliest, in: zone)) (\(zone.identifier))"
        case let .beyondHorizon(latest, zone):
            return "the slot is too far ahead; bookings are open only until \(ISO8601.local(latest, in: zone)) (\(zone.identifier))"
        case let .unknownConsultant(id):
            return "there is no consultant \"\(id)\""
        case let .consultantUnavailable(id, nextFree, zone):
            return "consultant \"\(id)\" is not free at that time; \(Self.next(nextFree, zone)), or choose any consultant"
        case let .noConsultantFree(nextFree, zone):
            return "no consultant is free at that time; \(Self.next(nextFree, zone))"
        }
    }

    private static func next(_ starts: [Date], _ zone: TimeZone) -> String {
        guard !starts.isEmpty else { return "no later time is free within the booking horizon" }
        return "the next free times are \(starts.map { ISO8601.local($0, in: zone) }.joined(separator: ", ")) (\(zone.identifier))"
    }

    public var description: String { message }
}

/// Working days, business hours and bookable slots: the production calendar, the company's
/// policy and administrators' blocks combined. Everything time-dependent takes `now`.
public struct WorkCalendar: Sendable {
    public let policy: CalendarPolicy
    public let production: ProductionCalendar
    public let blocked: [BlockedPeriod]

    /// The production data as sets, because `day(_:)` runs for every day of every query.
    private let yearSets: [Int: YearSets]

    private struct YearSets: Sendable {
        var holidays: Set<LocalDate>
        var daysOff: Set<LocalDate>
        var workingWeekends: Set<LocalDate>
        var shortened: Set<LocalDate>
    }

    public init(policy: CalendarPolicy = CalendarPolicy(), production: ProductionCalendar, blocked: [BlockedPeriod] = []) {
        self.policy = policy
        self.production = production
        self.blocked = blocked
        yearSets = production.years.mapValues {
            YearSets(holidays: Set($0.holidays), daysOff: Set($0.transferredDaysOff),
                     workingWeekends: Set($0.workingWeekends), shortened: Set($0.shortened))
        }
    }

    // MARK: Days

    public func day(_ date: LocalDate) -> CalendarDay {
        let plain = unblockedDay(date)
        if plain.kind.isWorking, let block = blocked.first(where: { $0.contains(date) }) {
            return CalendarDay(date: date, kind: .blocked, opens: nil, closes: nil, reason: block.reason)
        }
        return plain
    }

    /// Every day from `from` through `through` inclusive (none when `through` is earlier).
    public func days(from: LocalDate, through: LocalDate) -> [CalendarDay] {
        let count = from.days(until: through) + 1
        guard count > 0 else { return [] }
        return (0..<count).map { day(from.adding(days: $0)) }
    }

    private func unblockedDay(_ date: LocalDate) -> CalendarDay {
        let fixedHoliday = ProductionCalendar.fixedHoliday(on: date)
        guard let data = yearSets[date.year] else { return fallbackDay(date, fixedHoliday: fixedHoliday) }
        if let fixedHoliday {
            return closed(date, .holiday, fixedHoliday)
        }
        if data.holidays.contains(date) {
            return closed(date, .holiday, "public holiday")
        }
        if data.daysOff.contains(date) {
            return closed(date, .dayOff, "day off moved by the government decree")
        }
        let isShortened = data.shortened.contains(date)
        if date.isWeekend {
            guard data.workingWeekends.contains(date) else { return closed(date, .weekend, nil) }
            return open(date, .workingWeekend, shortened: isShortened,
                        reason: isShortened ? "working weekend day moved by the government decree, one hour shorter"
                                            : "working weekend day moved by the government decree")
        }
        return isShortened
            ? open(date, .shortened, shortened: true, reason: "pre-holiday day, one hour shorter")
            : open(date, .working, shortened: false, reason: nil)
    }

    /// Labour Code art. 112 and 95 only: holidays off, the working day right before one shortened.
    /// Weekend holidays are not moved, because only a decree says where they go.
    private func fallbackDay(_ date: LocalDate, fixedHoliday: String?) -> CalendarDay {
        if let fixedHoliday { return closed(date, .holiday, fixedHoliday) }
        if date.isWeekend { return closed(date, .weekend, nil) }
        if let next = ProductionCalendar.fixedHoliday(on: date.adding(days: 1)) {
            return open(date, .shortened, shortened: true, reason: "pre-holiday day before \(next), one hour shorter")
        }
        return open(date, .working, shortened: false, reason: nil)
    }

    private func closed(_ date: LocalDate, _ kind: DayKind, _ reason: String?) -> CalendarDay {
        CalendarDay(date: date, kind: kind, opens: nil, closes: nil, reason: reason)
    }

    private func open(_ date: LocalDate, _ kind: DayKind, shortened: Bool, reason: String?) -> CalendarDay {
        CalendarDay(date: date, kind: kind, opens: policy.opens,
                    closes: shortened ? policy.shortenedCloses : policy.closes, reason: reason)
    }

    // MARK: Missing data

    /// Years touched by `dates` that the production calendar lacks; their days follow only the
    /// fixed holidays, which the suite should tell an operator about.
    public func yearsWithoutData(in dates: ClosedRange<LocalDate>) -> [Int] {
        (dates.lowerBound.year...dates.upperBound.year).filter { production.years[$0] == nil }
    }

    /// Years touched by `range` (read in the calendar's zone) that the production calendar lacks.
    public func yearsWithoutData(in range: DateTimeRange) -> [Int] {
        let first = LocalDate.containing(range.start, in: policy.timeZone)
        let last = LocalDate.containing(range.end.addingTimeInterval(-0.001), in: policy.timeZone)
        return yearsWithoutData(in: first...max(first, last))
    }

    /// The warning to show for a year without data.
    public static func missingDataWarning(year: Int) -> String {
        "the production calendar has no data for \(year): only the fixed holidays of Labour Code art. 112 are days off "
            + "and no weekend transfers are known; add \(year) to config/production-calendar.yaml"
    }

    // MARK: Slots

    /// The day's slots, from opening to closing time in the calendar's zone; none on a day without hours.
    public func slotGrid(on date: LocalDate) -> [DateTimeRange] {
        let calendarDay = day(date)
        guard let opens = calendarDay.opens, let closes = calendarDay.closes else { return [] }
        return grid(on: date, opens: opens, closes: closes)
    }

    func grid(on date: LocalDate, opens: LocalTime, closes: LocalTime) -> [DateTimeRange] {
        let first = date.instant(at: opens, in: policy.timeZone)
        let last = date.instant(at: closes, in: policy.timeZone)
        let count = Int((last.timeIntervalSince(first) / policy.slotLength).rounded(.down))
        guard count > 0 else { return [] }
        return (0..<count).map {
            DateTimeRange(start: first.addingTimeInterval(Double($0) * policy.slotLength), length: policy.slotLength)
        }
    }

    /// The calendar-zone date at `now`.
    public func today(now: Date) -> LocalDate {
        LocalDate.containing(now, in: policy.timeZone)
    }

    /// When slots may start: from `now` plus the minimum notice, to the midnight (calendar zone)
    /// that ends the horizon, so `horizonDays` whole days, today included, are open. The end is
    /// exclusive: a slot is inside when it ends by then. A midnight end keeps the horizon a
    /// whole-day notion, the same for everyone asking on the same day, rather than a moving point.
    /// If the notice reaches past the horizon (only with `minimumNotice` of a day or more and a
    /// horizon of one day), the window is one second long at the earliest time and holds no slot.
    public func bookingWindow(now: Date) -> DateTimeRange {
        let earliest = now.addingTimeInterval(policy.minimumNotice)
        let latest = today(now: now).adding(days: policy.horizonDays).start(in: policy.timeZone)
        return latest > earliest ? try! DateTimeRange(start: earliest, end: latest) : DateTimeRange(start: earliest, length: 1)
    }

    /// The slot starting at `start` if the calendar allows booking it at `now`. The calendar's own
    /// rules are reported before the ones that only depend on when one asks, because waiting
    /// cannot fix them.
    public func check(start: Date, now: Date) throws(SlotRuleViolation) -> DateTimeRange {
        let zone = policy.timeZone
        let local = ZonedClock.localSeconds(of: start, in: zone)
        let date = LocalDate(daysSinceEpoch: Int((local / 86_400).rounded(.down)))
        let sinceOpening = local - Double(date.daysSinceEpoch * 86_400 + policy.opens.minutesSinceMidnight * 60)
        guard sinceOpening.truncatingRemainder(dividingBy: policy.slotLength) == 0 else { throw .offGrid }
        guard start >= now else { throw .inPast }
        let calendarDay = day(date)
        guard let opens = calendarDay.opens, let closes = calendarDay.closes else {
            throw .nonWorkingDay(calendarDay.kind, reason: calendarDay.reason)
        }
        let slot = DateTimeRange(start: start, length: policy.slotLength)
        guard start >= date.instant(at: opens, in: zone), slot.end <= date.instant(at: closes, in: zone) else {
            throw .outsideWorkingHours(opens: opens, closes: closes, zone: zone)
        }
        let window = bookingWindow(now: now)
        guard start >= window.start else { throw .tooSoon(earliest: window.start, zone: zone) }
        guard slot.end <= window.end else { throw .beyondHorizon(latest: window.end, zone: zone) }
        return slot
    }
}
