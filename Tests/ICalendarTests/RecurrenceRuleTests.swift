import CivilTime
import Foundation
import Testing
@testable import ICalendar

/// Reading RRULE values (RFC 5545 §3.3.10).
@Suite struct RecurrenceRuleTests {
    @Test func everyPartIsRead() throws {
        let rule = try RecurrenceRule(parsing:
            "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYSECOND=0,30;BYMINUTE=15;BYHOUR=9,17;BYDAY=MO,+2TU,-1FR;BYMONTHDAY=1,-1;BYMONTH=1,6;BYSETPOS=1,-2;WKST=SU")
        #expect(rule == RecurrenceRule(
            frequency: .yearly, interval: 2, count: 10, bySecond: [0, 30], byMinute: [15], byHour: [9, 17],
            byDay: [.init(.monday), .init(.tuesday, ordinal: 2), .init(.friday, ordinal: -1)], byMonthDay: [1, -1],
            byMonth: [1, 6], bySetPosition: [1, -2], weekStart: .sunday))
        let weeks = try RecurrenceRule(parsing: "FREQ=YEARLY;BYWEEKNO=1,-1,53;BYYEARDAY=1,-366")
        #expect(weeks.byWeekNumber == [1, -1, 53] && weeks.byYearDay == [1, -366])
        #expect(weeks.interval == 1 && weeks.count == nil && weeks.until == nil && weeks.weekStart == .monday)
    }

    @Test func namesAndValuesAreCaseInsensitiveAndInAnyOrder() throws {
        let rule = try RecurrenceRule(parsing: "byday=mo,we;freq=weekly;wkst=su;")
        #expect(rule.frequency == .weekly && rule.byDay == [.init(.monday), .init(.wednesday)] && rule.weekStart == .sunday)
    }

    @Test func everyFrequency() throws {
        let frequencies: [(String, RecurrenceRule.Frequency)] = [
            ("SECONDLY", .secondly), ("MINUTELY", .minutely), ("HOURLY", .hourly), ("DAILY", .daily),
            ("WEEKLY", .weekly), ("MONTHLY", .monthly), ("YEARLY", .yearly),
        ]
        for (name, frequency) in frequencies {
            #expect(try RecurrenceRule(parsing: "FREQ=\(name)").frequency == frequency)
        }
    }

    @Test func untilAsDateUTCOrFloating() throws {
        #expect(try RecurrenceRule(parsing: "FREQ=DAILY;UNTIL=20261231").until == .date(LocalDate(year: 2026, month: 12, day: 31)))
        #expect(try RecurrenceRule(parsing: "FREQ=DAILY;UNTIL=20261231T235959Z").until == .instant(ICalendarFixtures.instant("2026-12-31T23:59:59Z")))
        #expect(try RecurrenceRule(parsing: "FREQ=DAILY;UNTIL=20261231T090000").until
            == .localTime(LocalDate(year: 2026, month: 12, day: 31), secondsIntoDay: 9 * 3600))
    }

    @Test func extensionPartsAndGregorianScaleAreAccepted() throws {
        #expect(try RecurrenceRule(parsing: "FREQ=DAILY;X-NAME=anything;RSCALE=GREGORIAN;SKIP=OMIT").frequency == .daily)
        #expect(try RecurrenceRule(parsing: "FREQ=DAILY;COUNT=3;UNTIL=20261231").count == 3, "both bounds: whichever ends first")
    }

    @Test(arguments: [
        ("", "FREQ is required"),
        ("INTERVAL=2", "FREQ is required"),
        ("FREQ=FORTNIGHTLY", "FREQ must be"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice"),
        ("FREQ=DAILY;COUNT", "NAME=VALUE"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;INTERVAL=-1", "INTERVAL"),
        ("FREQ=DAILY;INTERVAL=9999999", "INTERVAL"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY;COUNT=99999999999999999999", "COUNT"),
        ("FREQ=DAILY;UNTIL=2026-12-31", "UNTIL"),
        ("FREQ=DAILY;UNTIL=20260230", "UNTIL"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR"),
        ("FREQ=DAILY;BYMINUTE=60", "BYMINUTE"),
        ("FREQ=DAILY;BYSECOND=61", "BYSECOND"),
        ("FREQ=DAILY;BYHOUR=-1", "BYHOUR"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,,2", "BYMONTHDAY"),
        ("FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY"),
        ("FREQ=YEARLY;BYWEEKNO=54", "BYWEEKNO"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH"),
        ("FREQ=YEARLY;BYMONTH=-1", "BYMONTH"),
        ("FREQ=MONTHLY;BYSETPOS=0", "BYSETPOS"),
        ("FREQ=MONTHLY;BYDAY=XX", "BYDAY"),
        ("FREQ=MONTHLY;BYDAY=54MO", "BYDAY"),
        ("FREQ=MONTHLY;BYDAY=0MO", "BYDAY"),
        ("FREQ=MONTHLY;BYDAY=", "BYDAY"),
        ("FREQ=WEEKLY;WKST=XX", "WKST"),
        ("FREQ=WEEKLY;BYDAY=1MO", "ordinals"),
        ("FREQ=DAILY;BYDAY=-1FR", "ordinals"),
        ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=1MO", "ordinals"),
        ("FREQ=MONTHLY;BYWEEKNO=20", "BYWEEKNO is only allowed"),
        ("FREQ=DAILY;BYYEARDAY=1", "BYYEARDAY is not allowed"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY is not allowed"),
        ("FREQ=YEARLY;RSCALE=HEBREW", "Gregorian"),
        ("FREQ=YEARLY;SKIP=FORWARD", "SKIP=OMIT"),
        ("FREQ=DAILY;BYEASTER=0", "unknown rule part BYEASTER"),
    ])
    func invalidRulesAreRejectedWithTheReason(rule: String, reason: String) {
        #expect {
            try RecurrenceRule(parsing: rule)
        } throws: { error in
            guard let error = error as? ICalendarReadError else { return false }
            return error.kind == .invalidRecurrenceRule && error.line == 0 && error.message.contains(reason)
        }
    }
}
