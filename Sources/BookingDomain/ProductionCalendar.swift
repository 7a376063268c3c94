import CivilTime
/// One year of the Russian production calendar as the government decree sets it.
public struct ProductionYear: Sendable, Hashable, Codable {
    /// Weekdays off that are fixed holidays of Labour Code art. 112.
    public var holidays: [LocalDate]
    /// Weekdays off moved there by the decree (bridges and holidays that fell on a weekend).
    public var transferredDaysOff: [LocalDate]
    /// Saturdays or Sundays the decree makes working days.
    public var workingWeekends: [LocalDate]
    /// Working days one hour shorter, before a holiday.
    public var shortened: [LocalDate]

    public init(holidays: [LocalDate] = [], transferredDaysOff: [LocalDate] = [],
                workingWeekends: [LocalDate] = [], shortened: [LocalDate] = []) {
        self.holidays = holidays
        self.transferredDaysOff = transferredDaysOff
        self.workingWeekends = workingWeekends
        self.shortened = shortened
    }

    private enum CodingKeys: String, CodingKey {
        case holidays
        case transferredDaysOff = "transferred_days_off"
        case workingWeekends = "working_weekends"
        case shortened
    }

    /// A list left out of the file is empty, so an operator need not write `[]`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        holidays = try container.decodeIfPresent([LocalDate].self, forKey: .holidays) ?? []
        transferredDaysOff = try container.decodeIfPresent([LocalDate].self, forKey: .transferredDaysOff) ?? []
        workingWeekends = try container.decodeIfPresent([LocalDate].self, forKey: .workingWeekends) ?? []
        shortened = try container.decodeIfPresent([LocalDate].self, forKey: .shortened) ?? []
    }
}

/// The production calendar data (config/production-calendar.yaml), keyed by year.
public struct ProductionCalendar: Sendable, Hashable, Codable {
    public var years: [Int: ProductionYear]

    public init(years: [Int: ProductionYear] = [:]) {
        self.years = years
    }

    private enum CodingKeys: String, CodingKey { case years }

    /// The non-working holidays of Labour Code art. 112, or nil for any other date. They are
    /// days off whatever the decree says, which is also the fallback for a year without data.
    public static func fixedHoliday(on date: LocalDate) -> String? {
        switch (date.month, date.day) {
        case (1, 7): "Christmas"
        case (1, 1...8): "New Year holidays"
        case (2, 23): "Defender of the Fatherland Day"
        case (3, 8): "International Women's Day"
        case (5, 1): "Spring and Labour Day"
        case (5, 9): "Victory Day"
        case (6, 12): "Russia Day"
        case (11, 4): "Unity Day"
        default: nil
        }
    }

    /// Mistakes an operator can make in the file, one line each; empty when the data is sound.
    public func inconsistencies() -> [String] {
        var problems: [String] = []
        for (year, data) in years.sorted(by: { $0.key < $1.key }) {
            let lists: [(String, [LocalDate])] = [
                ("holidays", data.holidays), ("transferred_days_off", data.transferredDaysOff),
                ("working_weekends", data.workingWeekends), ("shortened", data.shortened),
            ]
            for (name, dates) in lists {
                for date in dates where date.year != year {
                    problems.append("\(year): \(name) lists \(date), which is in another year")
                }
                for date in Set(dates) where dates.filter({ $0 == date }).count > 1 {
                    problems.append("\(year): \(name) lists \(date) more than once")
                }
            }
            for date in data.holidays where ProductionCalendar.fixedHoliday(on: date) == nil {
                problems.append("\(year): \(date) is not a holiday of Labour Code art. 112; list it under transferred_days_off")
            }
            for date in data.transferredDaysOff {
                if ProductionCalendar.fixedHoliday(on: date) != nil {
                    problems.append("\(year): \(date) is a holiday of Labour Code art. 112; list it under holidays")
                }
                if date.isWeekend {
                    problems.append("\(year): transferred_days_off lists \(date), which is a weekend day anyway")
                }
            }
            let daysOff = Set(data.holidays).union(data.transferredDaysOff)
            for date in data.workingWeekends {
                if !date.isWeekend { problems.append("\(year): working_weekends lists \(date), which is a weekday") }
                if daysOff.contains(date) || ProductionCalendar.fixedHoliday(on: date) != nil {
                    problems.append("\(year): \(date) is listed both as a day off and as a working weekend")
                }
            }
            let workingWeekends = Set(data.workingWeekends)
            for date in data.shortened {
                if daysOff.contains(date) || ProductionCalendar.fixedHoliday(on: date) != nil {
                    problems.append("\(year): \(date) is listed both as a day off and as shortened")
                } else if date.isWeekend && !workingWeekends.contains(date) {
                    problems.append("\(year): shortened lists \(date), a weekend day that is not in working_weekends")
                }
            }
        }
        return problems.sorted()
    }
}
