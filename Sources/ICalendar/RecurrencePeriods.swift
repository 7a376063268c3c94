import CivilTime

/// A rule's periods (every INTERVAL-th year, month, week, day, hour, minute or second from
/// DTSTART's) and the starts each holds, as local seconds on the event's wall clock. Whether a
/// BYxxx part expands or limits (RFC 5545 §3.3.10) comes to one thing here: every day and time
/// of the period is tried against all parts. February 30 is never tried, so never counted.
struct RecurrencePeriods {
    let frequency: RecurrenceRule.Frequency
    /// From one period to the next, in the period numbers of `periodNumber(ofLocalSeconds:)`.
    let step: Int
    /// DTSTART's period number.
    let base: Int

    private let months: [Int]
    private let weekNumbers: [Int]
    private let yearDays: [Int]
    private let monthDays: [Int]
    private let weekdays: [RecurrenceRule.OrdinalWeekday]
    /// For YEARLY without BYMONTH, a BYDAY ordinal counts within the year; otherwise within the month.
    private let ordinalsWithinYear: Bool
    /// Times of day for frequencies of a day or more; for finer ones, the hour, minute and second
    /// come from the period and these only limit them (empty: no limit).
    private let hours: [Int]
    private let minutes: [Int]
    private let seconds: [Int]
    private let setPositions: [Int]
    private let weekStart: Int

    static let firstDay = LocalDate(year: 1, month: 1, day: 1).daysSinceEpoch
    static let lastDay = LocalDate(year: 9999, month: 12, day: 31).daysSinceEpoch
    static let lastLocalSecond = (lastDay + 1) * EventTime.secondsPerDay - 1

    init(rule: RecurrenceRule, start: EventTime) {
        let frequency = rule.frequency
        self.frequency = frequency
        weekStart = rule.weekStart.rawValue
        let interval = min(max(rule.interval, 1), 1_000_000)
        let startDate = start.date

        var months = rule.byMonth.filter { (1...12).contains($0) }
        var monthDays = rule.byMonthDay.filter { $0 != 0 && abs($0) <= 31 }
        var weekdays = rule.byDay.filter { $0.ordinal.map { $0 != 0 && abs($0) <= 53 } ?? true }
        let weekNumbers = rule.byWeekNumber.filter { $0 != 0 && abs($0) <= 53 }
        let yearDays = rule.byYearDay.filter { $0 != 0 && abs($0) <= 366 }
        let startWeekday = RecurrenceRule.OrdinalWeekday(RecurrenceRule.Weekday(rawValue: startDate.weekday) ?? .monday)
        switch frequency {
        case .yearly where weekNumbers.isEmpty && yearDays.isEmpty && monthDays.isEmpty && weekdays.isEmpty:
            monthDays = [startDate.day]
            if months.isEmpty { months = [startDate.month] }
        case .yearly where !weekNumbers.isEmpty && yearDays.isEmpty && monthDays.isEmpty && weekdays.isEmpty:
            weekdays = [startWeekday]
        case .monthly where monthDays.isEmpty && weekdays.isEmpty && yearDays.isEmpty:
            monthDays = [startDate.day]
        case .weekly where weekdays.isEmpty:
            weekdays = [startWeekday]
        default:
            break
        }
        self.months = months
        self.monthDays = monthDays
        self.weekdays = weekdays
        self.weekNumbers = weekNumbers
        self.yearDays = yearDays
        ordinalsWithinYear = frequency == .yearly && rule.byMonth.isEmpty

        func times(_ values: [Int], _ range: ClosedRange<Int>, fromStart: Int, fixedBy finest: RecurrenceRule.Frequency) -> [Int] {
            // RFC 5545 §3.3.10: BYHOUR, BYMINUTE and BYSECOND are ignored with a DATE start.
            if start.isDate { return [0] }
            let valid = Array(Set(values.filter { range.contains($0) })).sorted()
            if frequency <= finest { return valid }
            return valid.isEmpty ? [fromStart] : valid
        }
        let startSeconds = start.secondsIntoDay
        hours = times(rule.byHour, 0...23, fromStart: startSeconds / 3600, fixedBy: .hourly)
        minutes = times(rule.byMinute, 0...59, fromStart: startSeconds % 3600 / 60, fixedBy: .minutely)
        seconds = times(rule.bySecond, 0...60, fromStart: startSeconds % 60, fixedBy: .secondly)
        setPositions = rule.bySetPosition.filter { $0 != 0 && abs($0) <= 366 }

        step = frequency == .weekly ? 7 * interval : interval
        base = Self.periodNumber(ofLocalSeconds: start.localSeconds, frequency: rule.frequency, weekStart: rule.weekStart.rawValue)
    }

    /// A day or longer with one time of day: two instances are a day apart at least.
    var hasOneTimeOfDay: Bool {
        frequency >= .daily && hours.count == 1 && minutes.count == 1 && seconds.count == 1
    }

    /// The number of the period holding the local time `seconds`: a year, a month counted from
    /// year 0, the day number of a week's first day, a day, an hour, a minute or a second.
    func periodNumber(ofLocalSeconds seconds: Int) -> Int {
        Self.periodNumber(ofLocalSeconds: seconds, frequency: frequency, weekStart: weekStart)
    }

    private static func periodNumber(ofLocalSeconds seconds: Int, frequency: RecurrenceRule.Frequency, weekStart: Int) -> Int {
        let day = min(max(EventTime.day(ofLocalSeconds: seconds), firstDay), lastDay)
        let date = LocalDate(daysSinceEpoch: day)
        switch frequency {
        case .yearly: return date.year
        case .monthly: return date.year * 12 + date.month - 1
        case .weekly: return day - (date.weekday - weekStart + 7) % 7
        case .daily: return day
        case .hourly: return floorDivision(seconds, 3600)
        case .minutely: return floorDivision(seconds, 60)
        case .secondly: return seconds
        }
    }

    /// The local second period `number` starts at; nil past the end of year 9999.
    func startOfPeriod(_ number: Int) -> Int? {
        let seconds: Int
        switch frequency {
        case .yearly:
            guard (1...9999).contains(number) else { return nil }
            seconds = LocalDate(year: number, month: 1, day: 1).daysSinceEpoch * EventTime.secondsPerDay
        case .monthly:
            guard (1...9999).contains(number / 12) else { return nil }
            seconds = LocalDate(year: number / 12, month: number % 12 + 1, day: 1).daysSinceEpoch * EventTime.secondsPerDay
        case .weekly, .daily: seconds = number * EventTime.secondsPerDay
        case .hourly: seconds = number * 3600
        case .minutely: seconds = number * 60
        case .secondly: seconds = number
        }
        return seconds <= Self.lastLocalSecond ? seconds : nil
    }

    /// The starts in period `number`, ascending, BYSETPOS applied.
    func starts(inPeriod number: Int) -> [Int] {
        guard let periodStart = startOfPeriod(number) else { return [] }
        let firstDay = EventTime.day(ofLocalSeconds: periodStart)
        let days: [ClosedRange<Int>]
        switch frequency {
        case .yearly where !months.isEmpty:
            // Only the months BYMONTH names: a rule that never matches costs a few days a year.
            days = Array(Set(months)).sorted().map { month in
                let first = LocalDate(year: number, month: month, day: 1).daysSinceEpoch
                return first...(first + Self.monthLength(year: number, month: month) - 1)
            }
        case .yearly:
            days = [firstDay...(firstDay + Self.yearLength(number) - 1)]
        case .monthly:
            let (year, month) = (number / 12, number % 12 + 1)
            guard months.isEmpty || months.contains(month) else { return [] }
            days = [firstDay...(firstDay + Self.monthLength(year: year, month: month) - 1)]
        case .weekly:
            // A week may begin before 0001-01-01 or end after 9999-12-31, where LocalDate has no days.
            days = [max(firstDay, Self.firstDay)...min(firstDay + 6, Self.lastDay)]
        default:
            days = [firstDay...firstDay]
        }
        var starts: [Int] = []
        var facts = DayFacts()
        for range in days {
            for day in range where matches(day: day, facts: &facts) {
                appendTimes(onDay: day, periodStart: periodStart, to: &starts)
            }
        }
        guard !setPositions.isEmpty, !starts.isEmpty else { return starts }
        var chosen: [Int] = []
        for position in setPositions {
            let index = position > 0 ? position - 1 : starts.count + position
            if starts.indices.contains(index) { chosen.append(starts[index]) }
        }
        return Array(Set(chosen)).sorted()
    }

    private func appendTimes(onDay day: Int, periodStart: Int, to starts: inout [Int]) {
        let midnight = day * EventTime.secondsPerDay
        let inDay = periodStart - midnight
        func allows(_ limit: [Int], _ value: Int) -> Bool { limit.isEmpty || limit.contains(value) }
        switch frequency {
        case .hourly:
            guard allows(hours, inDay / 3600) else { return }
            for minute in minutes { for second in seconds { starts.append(periodStart + minute * 60 + second) } }
        case .minutely:
            guard allows(hours, inDay / 3600), allows(minutes, inDay % 3600 / 60) else { return }
            for second in seconds { starts.append(periodStart + second) }
        case .secondly:
            guard allows(hours, inDay / 3600), allows(minutes, inDay % 3600 / 60), allows(seconds, inDay % 60) else { return }
            starts.append(periodStart)
        default:
            for hour in hours { for minute in minutes { for second in seconds { starts.append(midnight + hour * 3600 + minute * 60 + second) } } }
        }
    }

    /// What the day-level parts ask of a day, with the lengths of its year and month kept from the
    /// previous day of the same period.
    private struct DayFacts {
        var year = 0
        var yearStart = 0
        var yearLength = 0
        var month = 0
        var monthLength = 0
        var weeks = WeekFacts()
    }

    private struct WeekFacts {
        var year = 0
        var firstWeekStarts = 0
        var weeks = 0
        var previousYearWeeks = 0
        var nextYearFirstWeekStarts = 0
        var nextYearWeeks = 0
    }

    private func matches(day: Int, facts: inout DayFacts) -> Bool {
        let date = LocalDate(daysSinceEpoch: day)
        if !months.isEmpty, !months.contains(date.month) { return false }
        if date.year != facts.year {
            facts.year = date.year
            facts.yearStart = LocalDate(year: date.year, month: 1, day: 1).daysSinceEpoch
            facts.yearLength = Self.yearLength(date.year)
            facts.month = 0
        }
        if date.month != facts.month {
            facts.month = date.month
            facts.monthLength = Self.monthLength(year: date.year, month: date.month)
        }
        let dayOfYear = day - facts.yearStart + 1
        if !weekNumbers.isEmpty, !matchesWeekNumber(day: day, year: date.year, facts: &facts) { return false }
        if !yearDays.isEmpty, !yearDays.contains(dayOfYear), !yearDays.contains(dayOfYear - facts.yearLength - 1) { return false }
        if !monthDays.isEmpty, !monthDays.contains(date.day), !monthDays.contains(date.day - facts.monthLength - 1) { return false }
        if !weekdays.isEmpty {
            let (index, length) = ordinalsWithinYear ? (dayOfYear - 1, facts.yearLength) : (date.day - 1, facts.monthLength)
            let fromStart = index / 7 + 1
            let fromEnd = -((length - 1 - index) / 7 + 1)
            let matchesWeekday = weekdays.contains { entry in
                guard entry.weekday.rawValue == date.weekday else { return false }
                guard let ordinal = entry.ordinal else { return true }
                return ordinal == fromStart || ordinal == fromEnd
            }
            if !matchesWeekday { return false }
        }
        return true
    }

    /// Weeks start on WKST; week 1 is the first with four or more days in the year (RFC 5545
    /// §3.3.10, ISO 8601). Days before it belong to the previous year's last week, days from
    /// the next year's week 1 on to that week.
    private func matchesWeekNumber(day: Int, year: Int, facts: inout DayFacts) -> Bool {
        if facts.weeks.year != year {
            let starts = (year - 1...year + 2).map { firstWeekStart(year: $0) }
            facts.weeks = WeekFacts(year: year, firstWeekStarts: starts[1], weeks: (starts[2] - starts[1]) / 7,
                                    previousYearWeeks: (starts[1] - starts[0]) / 7, nextYearFirstWeekStarts: starts[2],
                                    nextYearWeeks: (starts[3] - starts[2]) / 7)
        }
        let weeks = facts.weeks
        let week: Int, weeksInYear: Int
        if day < weeks.firstWeekStarts {
            (week, weeksInYear) = (weeks.previousYearWeeks, weeks.previousYearWeeks)
        } else if day >= weeks.nextYearFirstWeekStarts {
            (week, weeksInYear) = (1, weeks.nextYearWeeks)
        } else {
            (week, weeksInYear) = ((day - weeks.firstWeekStarts) / 7 + 1, weeks.weeks)
        }
        return weekNumbers.contains { $0 > 0 ? $0 == week : weeksInYear + 1 + $0 == week }
    }

    /// The day the week holding January 4th (so four days of the year at least) starts on.
    private func firstWeekStart(year: Int) -> Int {
        // Years 0 and 10000 (the neighbours of LocalDate's range) are counted from their neighbour.
        var fourth = LocalDate(year: min(max(year, 1), 9999), month: 1, day: 4).daysSinceEpoch
        if year > 9999 { fourth += Self.yearLength(9999) }
        if year < 1 { fourth -= 366 }
        let weekday = LocalDate(daysSinceEpoch: fourth).weekday
        return fourth - (weekday - weekStart + 7) % 7
    }

    static func yearLength(_ year: Int) -> Int {
        LocalDate.valid(year: year, month: 2, day: 29) == nil ? 365 : 366
    }

    static func monthLength(year: Int, month: Int) -> Int {
        for length in stride(from: 31, to: 28, by: -1) where LocalDate.valid(year: year, month: month, day: length) != nil {
            return length
        }
        return 28
    }

    static func floorDivision(_ value: Int, _ divisor: Int) -> Int {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }
}
