import Foundation
import Testing
import Yams
@testable import BookingDomain
import CivilTime

/// The decrees' facts, written out here independently of the YAML file and the domain's rules.
enum Decree {
    struct Year {
        var weekdaysOff: Set<String>
        var workingWeekends: Set<String>
        var shortened: Set<String>
        var officialWorkingDays: Int
    }

    static let years: [Int: Year] = [
        2025: Year(
            weekdaysOff: ["01-01", "01-02", "01-03", "01-06", "01-07", "01-08", "05-01", "05-02", "05-08", "05-09",
                          "06-12", "06-13", "11-03", "11-04", "12-31"],
            workingWeekends: ["11-01"],
            shortened: ["03-07", "04-30", "06-11", "11-01"],
            officialWorkingDays: 247),
        2026: Year(
            weekdaysOff: ["01-01", "01-02", "01-05", "01-06", "01-07", "01-08", "01-09", "02-23", "03-09", "05-01",
                          "05-11", "06-12", "11-04", "12-31"],
            workingWeekends: [],
            shortened: ["04-30", "05-08", "06-11", "11-03"],
            officialWorkingDays: 247),
        2027: Year(
            weekdaysOff: ["01-01", "01-04", "01-05", "01-06", "01-07", "01-08", "02-22", "02-23", "03-08", "05-03",
                          "05-10", "06-14", "11-04", "11-05", "12-31"],
            workingWeekends: ["02-20"],
            shortened: ["02-20", "04-30", "06-11", "11-03"],
            officialWorkingDays: 247),
    ]

    /// Labour Code art. 112.
    static let fixedHolidays: Set<String> = [
        "01-01", "01-02", "01-03", "01-04", "01-05", "01-06", "01-07", "01-08",
        "02-23", "03-08", "05-01", "05-09", "06-12", "11-04",
    ]

    /// Every day of `year` with its month-day key and Foundation's idea of whether it is a weekend.
    static func days(of year: Int) -> [(date: LocalDate, key: String, isWeekend: Bool)] {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(secondsFromGMT: 0)!
        var day = gregorian.date(from: DateComponents(year: year, month: 1, day: 1))!
        var result: [(LocalDate, String, Bool)] = []
        while gregorian.component(.year, from: day) == year {
            let parts = gregorian.dateComponents([.month, .day, .weekday], from: day)
            let key = String(format: "%02d-%02d", parts.month!, parts.day!)
            result.append((LocalDate(year: year, month: parts.month!, day: parts.day!), key, parts.weekday == 1 || parts.weekday == 7))
            day = gregorian.date(byAdding: .day, value: 1, to: day)!
        }
        return result
    }

    static func expectedKind(year: Year, key: String, isWeekend: Bool) -> DayKind {
        if fixedHolidays.contains(key) { return .holiday }
        if year.weekdaysOff.contains(key) { return .dayOff }
        if year.workingWeekends.contains(key) { return .workingWeekend }
        if isWeekend { return .weekend }
        if year.shortened.contains(key) { return .shortened }
        return .working
    }
}

@Suite("Production calendar data and day classification")
struct ProductionCalendarTests {
    @Test func theYAMLFileDecodesAndIsConsistent() throws {
        let production = try Fixture.productionCalendar()
        #expect(production.years.keys.sorted() == [2025, 2026, 2027])
        #expect(production.inconsistencies() == [])
    }

    @Test("each weekday off sits in the list Labour Code art. 112 says", arguments: [2025, 2026, 2027])
    func holidaysVersusTransferredDaysOff(year: Int) throws {
        let data = try #require(try Fixture.productionCalendar().years[year])
        let facts = try #require(Decree.years[year])
        let key = { (date: LocalDate) in String(date.description.dropFirst(5)) }
        #expect(Set(data.holidays.map(key)) == facts.weekdaysOff.intersection(Decree.fixedHolidays))
        #expect(Set(data.transferredDaysOff.map(key)) == facts.weekdaysOff.subtracting(Decree.fixedHolidays))
        #expect(Set(data.workingWeekends.map(key)) == facts.workingWeekends)
        #expect(Set(data.shortened.map(key)) == facts.shortened)
    }

    @Test("every day of the year is classified as the decree says", arguments: [2025, 2026, 2027])
    func everyDay(year: Int) throws {
        let calendar = try Fixture.calendar()
        let facts = try #require(Decree.years[year])
        var workingDays = 0
        for (day, key, isWeekend) in Decree.days(of: year) {
            let expected = Decree.expectedKind(year: facts, key: key, isWeekend: isWeekend)
            let actual = calendar.day(day)
            #expect(actual.kind == expected, "\(day)")
            #expect(actual.date == day)
            if expected.isWorking {
                workingDays += 1
                let closes = facts.shortened.contains(key) ? LocalTime(hour: 17) : LocalTime(hour: 18)
                #expect(actual.opens == LocalTime(hour: 9) && actual.closes == closes, "\(day)")
            } else {
                #expect(actual.opens == nil && actual.closes == nil, "\(day)")
            }
        }
        #expect(workingDays == facts.officialWorkingDays)
        #expect(calendar.days(from: date("\(year)-01-01"), through: date("\(year)-12-31")).filter(\.kind.isWorking).count == facts.officialWorkingDays)
        #expect(calendar.yearsWithoutData(in: date("\(year)-01-01")...date("\(year)-12-31")) == [])
    }

    @Test func notableDays() throws {
        let calendar = try Fixture.calendar()
        #expect(calendar.day(date("2025-11-01")) == CalendarDay(
            date: date("2025-11-01"), kind: .workingWeekend, opens: LocalTime(hour: 9), closes: LocalTime(hour: 17),
            reason: "working weekend day moved by the government decree, one hour shorter"))
        #expect(calendar.day(date("2027-02-20")).closes == LocalTime(hour: 17))
        #expect(calendar.day(date("2026-03-08")) == CalendarDay(
            date: date("2026-03-08"), kind: .holiday, opens: nil, closes: nil, reason: "International Women's Day"))
        #expect(calendar.day(date("2026-01-07")).reason == "Christmas")
        #expect(calendar.day(date("2026-01-03")).kind == .holiday)  // a Saturday, still a fixed holiday
        #expect(calendar.day(date("2026-03-09")) == CalendarDay(
            date: date("2026-03-09"), kind: .dayOff, opens: nil, closes: nil, reason: "day off moved by the government decree"))
        #expect(calendar.day(date("2026-04-30")) == CalendarDay(
            date: date("2026-04-30"), kind: .shortened, opens: LocalTime(hour: 9), closes: LocalTime(hour: 17),
            reason: "pre-holiday day, one hour shorter"))
        #expect(calendar.day(date("2026-03-07")) == CalendarDay(date: date("2026-03-07"), kind: .weekend, opens: nil, closes: nil))
        #expect(calendar.day(date("2026-03-02")) == CalendarDay(
            date: date("2026-03-02"), kind: .working, opens: LocalTime(hour: 9), closes: LocalTime(hour: 18)))
    }

    @Test func dayKindWireNames() {
        #expect(DayKind.allCases.map(\.rawValue) == ["working", "shortened", "weekend", "holiday", "day_off", "working_weekend", "blocked"])
        #expect(DayKind.allCases.filter(\.isWorking) == [.working, .shortened, .workingWeekend])
    }

    @Test func aYearWithoutDataFallsBackToArticle112AndIsReported() throws {
        let calendar = try Fixture.calendar()
        let expectations: [(String, DayKind, String?)] = [
            ("2029-12-31", .shortened, "17:00"),  // Monday before New Year, also a year without data
            ("2030-01-01", .holiday, nil), ("2030-01-07", .holiday, nil), ("2030-01-09", .working, "18:00"),
            ("2030-02-22", .shortened, "17:00"),  // Friday before Saturday 23 February
            ("2030-02-23", .holiday, nil), ("2030-02-25", .working, "18:00"),  // no transfer without a decree
            ("2030-03-07", .shortened, "17:00"), ("2030-03-08", .holiday, nil),
            ("2030-04-30", .shortened, "17:00"), ("2030-05-01", .holiday, nil),
            ("2030-05-08", .shortened, "17:00"), ("2030-05-09", .holiday, nil),
            ("2030-06-11", .shortened, "17:00"), ("2030-06-12", .holiday, nil),
            ("2030-11-03", .weekend, nil), ("2030-11-04", .holiday, nil), ("2030-12-31", .shortened, "17:00"),
        ]
        for (text, kind, closes) in expectations {
            let day = calendar.day(date(text))
            #expect(day.kind == kind, "\(text)")
            #expect(day.closes?.description == closes, "\(text)")
        }
        #expect(calendar.day(date("2030-02-22")).reason == "pre-holiday day before Defender of the Fatherland Day, one hour shorter")
        let workingDays = calendar.days(from: date("2030-01-01"), through: date("2030-12-31")).filter(\.kind.isWorking).count
        #expect(workingDays == 250)  // 261 weekdays less 11 weekday holidays
        #expect(calendar.yearsWithoutData(in: date("2029-12-01")...date("2030-01-31")) == [2029, 2030])
        #expect(calendar.yearsWithoutData(in: date("2027-12-20")...date("2028-01-10")) == [2028])
        #expect(calendar.yearsWithoutData(in: try DateTimeRange(start: msk("2027-12-25 00:00"), end: msk("2028-01-01 00:00"))) == [])
        #expect(calendar.yearsWithoutData(in: try DateTimeRange(start: msk("2027-12-25 00:00"), end: msk("2028-01-01 00:30"))) == [2028])
        #expect(WorkCalendar.missingDataWarning(year: 2030)
            == "the production calendar has no data for 2030: only the fixed holidays of Labour Code art. 112 are days off "
            + "and no weekend transfers are known; add 2030 to config/production-calendar.yaml")
    }

    @Test func inconsistenciesAreReported() {
        let bad = ProductionCalendar(years: [2026: ProductionYear(
            holidays: [date("2026-05-11"), date("2025-01-01")],
            transferredDaysOff: [date("2026-01-09"), date("2026-01-09"), date("2026-03-08"), date("2026-03-07")],
            workingWeekends: [date("2026-03-10"), date("2026-01-03")],
            shortened: [date("2026-01-09"), date("2026-03-14")])])
        #expect(bad.inconsistencies() == [
            "2026: 2026-01-03 is listed both as a day off and as a working weekend",
            "2026: 2026-01-09 is listed both as a day off and as shortened",
            "2026: 2026-03-08 is a holiday of Labour Code art. 112; list it under holidays",
            "2026: 2026-05-11 is not a holiday of Labour Code art. 112; list it under transferred_days_off",
            "2026: holidays lists 2025-01-01, which is in another year",
            "2026: shortened lists 2026-03-14, a weekend day that is not in working_weekends",
            "2026: transferred_days_off lists 2026-01-09 more than once",
            "2026: transferred_days_off lists 2026-03-07, which is a weekend day anyway",
            "2026: transferred_days_off lists 2026-03-08, which is a weekend day anyway",
            "2026: working_weekends lists 2026-03-10, which is a weekday",
        ])
    }

    @Test func codableWithSnakeCaseKeysAndOptionalLists() throws {
        let yaml = """
            years:
              2031:
                holidays: [2031-01-01]
                transferred_days_off: [2031-01-03]
            """
        let production = try YAMLDecoder().decode(ProductionCalendar.self, from: yaml)
        #expect(production == ProductionCalendar(years: [2031: ProductionYear(
            holidays: [date("2031-01-01")], transferredDaysOff: [date("2031-01-03")])]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(production), as: UTF8.self)
        #expect(json == #"{"years":{"2031":{"holidays":["2031-01-01"],"shortened":[],"transferred_days_off":["2031-01-03"],"working_weekends":[]}}}"#)
        #expect(try JSONDecoder().decode(ProductionCalendar.self, from: Data(json.utf8)) == production)
        #expect(throws: DecodingError.self) {
            try YAMLDecoder().decode(ProductionCalendar.self, from: "years:\n  2031:\n    holidays: [2031-02-30]\n")
        }
    }
}
