import CivilTime
import Foundation
import Testing
@testable import ICalendar

/// Expansion beyond the RFC's examples: daylight-saving changes, each rule part, limits and
/// rules that never match.
@Suite struct RecurrenceExpansionTests {
    static let year2026 = ICalendarFixtures.window("2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")

    static func expansion(_ rule: String, from start: String, in zone: TimeZone, window: Range<Date> = year2026,
                          limit: Int = 10_000) throws -> RecurrenceExpansion {
        try RecurrenceRule(parsing: rule).starts(from: ICalendarFixtures.wallClock(start, in: zone), in: window, limit: limit)
    }

    /// Starts as UTC instants (`2026-03-16T09:00:00.000Z`).
    static func instants(_ rule: String, from start: String, in zone: TimeZone, window: Range<Date> = year2026) throws -> [String] {
        try expansion(rule, from: start, in: zone, window: window).starts.map { ISO8601.instant($0.instant) }
    }

    /// Starts on `zone`'s clock with its offset (`2026-03-16T10:00:00+01:00`).
    static func local(_ rule: String, from start: String, in zone: TimeZone, window: Range<Date> = year2026) throws -> [String] {
        try expansion(rule, from: start, in: zone, window: window).starts.map { ISO8601.local($0.instant, in: zone) }
    }

    // MARK: Wall clock and daylight saving

    @Test func aWeeklyBerlinMeetingKeepsItsLocalTimeAcrossBothChanges() throws {
        let berlin = ICalendarFixtures.berlin
        let spring = ICalendarFixtures.window("2026-03-16T00:00:00Z", "2026-04-07T00:00:00Z")
        #expect(try Self.instants("FREQ=WEEKLY;BYDAY=MO", from: "2026-03-16T10:00", in: berlin, window: spring) == [
            "2026-03-16T09:00:00.000Z", "2026-03-23T09:00:00.000Z", "2026-03-30T08:00:00.000Z", "2026-04-06T08:00:00.000Z",
        ])
        let autumn = ICalendarFixtures.window("2026-10-19T00:00:00Z", "2026-10-27T00:00:00Z")
        #expect(try Self.instants("FREQ=WEEKLY;BYDAY=MO", from: "2026-03-16T10:00", in: berlin, window: autumn) == [
            "2026-10-19T08:00:00.000Z", "2026-10-26T09:00:00.000Z",
        ])
        #expect(try Self.local("FREQ=WEEKLY;BYDAY=MO", from: "2026-03-16T10:00", in: berlin, window: autumn) == [
            "2026-10-19T10:00:00+02:00", "2026-10-26T10:00:00+01:00",
        ])
    }

    @Test func aTimeInTheSpringGapIsPushedForwardByTheGap() throws {
        // Berlin's clocks go from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist that day.
        #expect(try Self.instants("FREQ=DAILY;COUNT=4", from: "2026-03-27T02:30", in: ICalendarFixtures.berlin) == [
            "2026-03-27T01:30:00.000Z", "2026-03-28T01:30:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z",
        ])
        #expect(try Self.local("FREQ=DAILY;COUNT=4", from: "2026-03-27T02:30", in: ICalendarFixtures.berlin)[2] == "2026-03-29T03:30:00+02:00")
    }

    @Test func aRepeatedAutumnTimeIsItsFirstOccurrence() throws {
        // 02:30 happens twice in Berlin on 2026-10-25; the first (still summer time) is meant.
        #expect(try Self.instants("FREQ=DAILY;COUNT=3", from: "2026-10-24T02:30", in: ICalendarFixtures.berlin) == [
            "2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z",
        ])
    }

    @Test func aUTCStartRecursOnTheUTCClock() throws {
        #expect(try Self.instants("FREQ=WEEKLY;COUNT=3", from: "2026-03-23T09:00", in: ICalendarFixtures.utc) == [
            "2026-03-23T09:00:00.000Z", "2026-03-30T09:00:00.000Z", "2026-04-06T09:00:00.000Z",
        ])
    }

    // MARK: Rule parts

    @Test func theLastWeekdayOfTheMonth() throws {
        #expect(try Self.local("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;COUNT=6", from: "2026-01-30T10:00", in: ICalendarFixtures.berlin) == [
            "2026-01-30T10:00:00+01:00", "2026-02-27T10:00:00+01:00", "2026-03-31T10:00:00+02:00",
            "2026-04-30T10:00:00+02:00", "2026-05-29T10:00:00+02:00", "2026-06-30T10:00:00+02:00",
        ])
    }

    @Test func dtstartIsTheFirstInstanceAndCountedEvenOffTheRule() throws {
        // 2026-01-06 is a Tuesday; January's first Friday (the 2nd) is before it and left out.
        #expect(try Self.instants("FREQ=MONTHLY;BYDAY=1FR;COUNT=3", from: "2026-01-06T10:00", in: ICalendarFixtures.utc) == [
            "2026-01-06T10:00:00.000Z", "2026-02-06T10:00:00.000Z", "2026-03-06T10:00:00.000Z",
        ])
    }

    @Test func countIsCountedFromDTSTARTEvenBeforeTheWindow() throws {
        let window = ICalendarFixtures.window("2026-01-04T00:00:00Z", "2026-02-01T00:00:00Z")
        #expect(try Self.instants("FREQ=DAILY;COUNT=5", from: "2026-01-01T10:00", in: ICalendarFixtures.utc, window: window) == [
            "2026-01-04T10:00:00.000Z", "2026-01-05T10:00:00.000Z",
        ])
        let later = ICalendarFixtures.window("2026-01-10T00:00:00Z", "2026-02-01T00:00:00Z")
        let expansion = try Self.expansion("FREQ=DAILY;COUNT=5", from: "2026-01-01T10:00", in: ICalendarFixtures.utc, window: later)
        #expect(expansion.starts.isEmpty && !expansion.isTruncated)
    }

    @Test func aLongCountEndsOnItsLastInstanceFarFromDTSTART() throws {
        let window = ICalendarFixtures.window("2022-09-20T00:00:00Z", "2022-10-01T00:00:00Z")
        let starts = try Self.local("FREQ=DAILY;COUNT=1000", from: "2020-01-01T10:00", in: ICalendarFixtures.berlin, window: window)
        #expect(starts.first == "2022-09-20T10:00:00+02:00")
        #expect(starts.last == "2022-09-26T10:00:00+02:00")
        #expect(starts.count == 7)
    }

    /// Instances long before the window are counted without working out their instants; what
    /// reaches the window must be what a window from DTSTART on gives.
    @Test func aLateWindowSeesWhatAWindowFromTheStartSees() throws {
        let rules = [
            "FREQ=DAILY;COUNT=800", "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=220", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=30",
            "FREQ=DAILY;BYHOUR=2,3;COUNT=1500", "FREQ=DAILY;UNTIL=20260610T080000Z", "FREQ=WEEKLY;UNTIL=20260610", "FREQ=HOURLY;INTERVAL=5;COUNT=4000",
        ]
        let berlin = ICalendarFixtures.berlin
        let everything = ICalendarFixtures.window("2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z")
        let late = ICalendarFixtures.window("2026-03-20T00:00:00Z", "2026-11-01T00:00:00Z")
        for rule in rules {
            let all = try Self.instants(rule, from: "2024-03-30T02:30", in: berlin, window: everything)
            let lateOnly = try Self.instants(rule, from: "2024-03-30T02:30", in: berlin, window: late)
            #expect(!lateOnly.isEmpty, "\(rule)")
            #expect(lateOnly == all.filter { $0 >= "2026-03-20" && $0 < "2026-11-01" }, "\(rule)")
        }
    }

    @Test func untilIsInclusiveInEachOfItsForms() throws {
        let berlin = ICalendarFixtures.berlin
        // 2026-01-03 10:00 in Berlin is 09:00Z: an UNTIL at that instant keeps it, a second earlier does not.
        #expect(try Self.local("FREQ=DAILY;UNTIL=20260103T090000Z", from: "2026-01-01T10:00", in: berlin).count == 3)
        #expect(try Self.local("FREQ=DAILY;UNTIL=20260103T085959Z", from: "2026-01-01T10:00", in: berlin).count == 2)
        // A DATE keeps the whole day; a floating time is read on the event's clock.
        #expect(try Self.local("FREQ=DAILY;UNTIL=20260105", from: "2026-01-01T10:00", in: berlin).last == "2026-01-05T10:00:00+01:00")
        #expect(try Self.local("FREQ=DAILY;UNTIL=20260103T100000", from: "2026-01-01T10:00", in: berlin).last == "2026-01-03T10:00:00+01:00")
        #expect(try Self.local("FREQ=DAILY;UNTIL=20260103T095959", from: "2026-01-01T10:00", in: berlin).last == "2026-01-02T10:00:00+01:00")
        // An UNTIL before DTSTART leaves DTSTART alone.
        #expect(try Self.local("FREQ=DAILY;UNTIL=20251231", from: "2026-01-01T10:00", in: berlin) == ["2026-01-01T10:00:00+01:00"])
    }

    @Test func intervalsOfEachFrequency() throws {
        let utc = ICalendarFixtures.utc
        #expect(try Self.instants("FREQ=YEARLY;INTERVAL=2;COUNT=3", from: "2026-05-04T10:00", in: utc,
                                  window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z")) == [
            "2026-05-04T10:00:00.000Z", "2028-05-04T10:00:00.000Z", "2030-05-04T10:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=MONTHLY;INTERVAL=5;COUNT=3", from: "2026-10-15T10:00", in: utc,
                                  window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z")) == [
            "2026-10-15T10:00:00.000Z", "2027-03-15T10:00:00.000Z", "2027-08-15T10:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=WEEKLY;INTERVAL=3;COUNT=3", from: "2026-12-21T10:00", in: utc,
                                  window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z")) == [
            "2026-12-21T10:00:00.000Z", "2027-01-11T10:00:00.000Z", "2027-02-01T10:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=HOURLY;INTERVAL=7;COUNT=4", from: "2026-01-01T20:00", in: utc) == [
            "2026-01-01T20:00:00.000Z", "2026-01-02T03:00:00.000Z", "2026-01-02T10:00:00.000Z", "2026-01-02T17:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=SECONDLY;INTERVAL=45;COUNT=3", from: "2026-01-01T23:59", in: utc) == [
            "2026-01-01T23:59:00.000Z", "2026-01-01T23:59:45.000Z", "2026-01-02T00:00:30.000Z",
        ])
    }

    @Test func byDayLimitsADailyRule() throws {
        #expect(try Self.instants("FREQ=DAILY;BYDAY=MO,WE;COUNT=4", from: "2026-03-02T10:00", in: ICalendarFixtures.utc) == [
            "2026-03-02T10:00:00.000Z", "2026-03-04T10:00:00.000Z", "2026-03-09T10:00:00.000Z", "2026-03-11T10:00:00.000Z",
        ])
    }

    @Test func byMonthDayFromTheEndAndMonthsWithoutTheDay() throws {
        let utc = ICalendarFixtures.utc
        let twoYears = ICalendarFixtures.window("2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
        #expect(try Self.instants("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4", from: "2024-01-31T10:00", in: utc, window: twoYears) == [
            "2024-01-31T10:00:00.000Z", "2024-02-29T10:00:00.000Z", "2024-03-31T10:00:00.000Z", "2024-04-30T10:00:00.000Z",
        ])
        // No BYMONTHDAY: the 31st, taken from DTSTART, exists in every other month only.
        #expect(try Self.instants("FREQ=MONTHLY;COUNT=4", from: "2026-01-31T10:00", in: utc) == [
            "2026-01-31T10:00:00.000Z", "2026-03-31T10:00:00.000Z", "2026-05-31T10:00:00.000Z", "2026-07-31T10:00:00.000Z",
        ])
    }

    @Test func aYearlyRuleFromFebruary29thComesInLeapYearsOnly() throws {
        #expect(try Self.instants("FREQ=YEARLY;COUNT=3", from: "2024-02-29T10:00", in: ICalendarFixtures.utc,
                                  window: ICalendarFixtures.window("2024-01-01T00:00:00Z", "2040-01-01T00:00:00Z")) == [
            "2024-02-29T10:00:00.000Z", "2028-02-29T10:00:00.000Z", "2032-02-29T10:00:00.000Z",
        ])
    }

    @Test func byYearDayFromTheEnd() throws {
        #expect(try Self.instants("FREQ=YEARLY;BYYEARDAY=-1,-366;COUNT=4", from: "2024-12-31T10:00", in: ICalendarFixtures.utc,
                                  window: ICalendarFixtures.window("2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z")) == [
            // -366 is January 1st in a leap year only (2028).
            "2024-12-31T10:00:00.000Z", "2025-12-31T10:00:00.000Z", "2026-12-31T10:00:00.000Z", "2027-12-31T10:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=YEARLY;BYYEARDAY=-366", from: "2026-01-01T10:00", in: ICalendarFixtures.utc,
                                  window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z")) == [
            "2026-01-01T10:00:00.000Z", "2028-01-01T10:00:00.000Z",
        ])
    }

    @Test func weekNumbersAtTheEdgesOfTheYear() throws {
        let utc = ICalendarFixtures.utc
        let window = ICalendarFixtures.window("2024-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
        // Week 1 of 2025 starts on Monday 2024-12-30, week 1 of 2026 on 2025-12-29; a year's rule
        // takes those days in the year they fall in.
        #expect(try Self.instants("FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO,TU", from: "2024-01-01T10:00", in: utc, window: window) == [
            "2024-01-01T10:00:00.000Z", "2024-01-02T10:00:00.000Z", "2024-12-30T10:00:00.000Z", "2024-12-31T10:00:00.000Z",
            "2025-12-29T10:00:00.000Z", "2025-12-30T10:00:00.000Z",
        ])
        // 2025 has 52 weeks and 2026 has 53.
        #expect(try Self.instants("FREQ=YEARLY;BYWEEKNO=-1;BYDAY=MO", from: "2025-12-22T10:00", in: utc, window: window) == [
            "2025-12-22T10:00:00.000Z", "2026-12-28T10:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO", from: "2026-12-28T10:00", in: utc,
                                  window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2034-01-01T00:00:00Z")) == [
            "2026-12-28T10:00:00.000Z", "2032-12-27T10:00:00.000Z",
        ])
        // Without BYDAY, the week's day is DTSTART's (a Wednesday here).
        #expect(try Self.instants("FREQ=YEARLY;BYWEEKNO=10;COUNT=2", from: "2026-03-04T10:00", in: utc,
                                  window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z")) == [
            "2026-03-04T10:00:00.000Z", "2027-03-10T10:00:00.000Z",
        ])
    }

    @Test func timesOfDayExpandAndLimit() throws {
        let utc = ICalendarFixtures.utc
        #expect(try Self.instants("FREQ=DAILY;BYHOUR=9,14;COUNT=4", from: "2026-01-01T09:00", in: utc) == [
            "2026-01-01T09:00:00.000Z", "2026-01-01T14:00:00.000Z", "2026-01-02T09:00:00.000Z", "2026-01-02T14:00:00.000Z",
        ])
        #expect(try Self.instants("FREQ=WEEKLY;BYDAY=TU;BYHOUR=8;BYMINUTE=15,45;COUNT=3", from: "2026-01-06T08:15", in: utc) == [
            "2026-01-06T08:15:00.000Z", "2026-01-06T08:45:00.000Z", "2026-01-13T08:15:00.000Z",
        ])
        #expect(try Self.instants("FREQ=MINUTELY;BYSECOND=0,30;COUNT=4", from: "2026-01-01T10:00", in: utc) == [
            "2026-01-01T10:00:00.000Z", "2026-01-01T10:00:30.000Z", "2026-01-01T10:01:00.000Z", "2026-01-01T10:01:30.000Z",
        ])
        #expect(try Self.instants("FREQ=HOURLY;INTERVAL=4;BYHOUR=8,16;COUNT=3", from: "2026-01-01T00:00", in: utc) == [
            "2026-01-01T00:00:00.000Z", "2026-01-01T08:00:00.000Z", "2026-01-01T16:00:00.000Z",
        ])
    }

    @Test func setPositionsPickFromEachPeriodInOrder() throws {
        // The first and last of Monday to Friday in each week.
        #expect(try Self.instants("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1;COUNT=4", from: "2026-03-02T10:00", in: ICalendarFixtures.utc) == [
            "2026-03-02T10:00:00.000Z", "2026-03-06T10:00:00.000Z", "2026-03-09T10:00:00.000Z", "2026-03-13T10:00:00.000Z",
        ])
        // A position past the period's set picks nothing.
        #expect(try Self.instants("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", from: "2026-03-02T10:00", in: ICalendarFixtures.utc) == [
            "2026-03-02T10:00:00.000Z",
        ])
    }

    @Test func allDayStartsRecurAsDays() throws {
        let moscow = ICalendarFixtures.moscow
        let start = EventTime(date: LocalDate(year: 2026, month: 3, day: 2), in: moscow)
        let expansion = try RecurrenceRule(parsing: "FREQ=WEEKLY;COUNT=3;BYHOUR=10").starts(from: start, in: Self.year2026)
        #expect(expansion.starts.allSatisfy { $0.isDate })
        #expect(expansion.starts.map { $0.date.description } == ["2026-03-02", "2026-03-09", "2026-03-16"])
        #expect(expansion.starts.map { ISO8601.instant($0.instant) } == [
            "2026-03-01T21:00:00.000Z", "2026-03-08T21:00:00.000Z", "2026-03-15T21:00:00.000Z",
        ])
        // A frequency under a day has nothing to step on a DATE: DTSTART alone.
        let hourly = RecurrenceRule(frequency: .hourly).starts(from: start, in: Self.year2026)
        #expect(hourly.starts == [start])
    }

    // MARK: Bounds

    @Test(.timeLimit(.minutes(1)))
    func aRuleThatNeverMatchesEndsAtTheWindowsEnd() throws {
        let utc = ICalendarFixtures.utc
        let forever = Date.distantPast..<Date.distantFuture
        let yearly = try Self.expansion("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", from: "2026-01-30T10:00", in: utc, window: forever)
        #expect(yearly.starts.map { ISO8601.instant($0.instant) } == ["2026-01-30T10:00:00.000Z"])
        #expect(!yearly.isTruncated)
        let counted = try Self.expansion("FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11;COUNT=2", from: "2026-01-31T10:00", in: utc,
                                         window: ICalendarFixtures.window("9000-01-01T00:00:00Z", "9001-01-01T00:00:00Z"))
        #expect(counted.starts.isEmpty && !counted.isTruncated)
        // A daily rule's days are looked at one by one: it gives up at the period bound.
        let daily = try Self.expansion("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", from: "2026-01-30T10:00", in: utc, window: forever)
        #expect(daily.starts.count == 1 && daily.isTruncated)
    }

    @Test(.timeLimit(.minutes(1)))
    func aWindowFarFromDTSTARTIsReachedWithoutWalkingThere() throws {
        let window = ICalendarFixtures.window("2926-03-02T00:00:00Z", "2926-03-03T00:00:00Z")
        #expect(try Self.instants("FREQ=MINUTELY;INTERVAL=30", from: "2026-03-02T10:00", in: ICalendarFixtures.berlin, window: window).count == 48)
        #expect(try Self.instants("FREQ=WEEKLY;BYDAY=TU", from: "1970-01-06T10:00", in: ICalendarFixtures.berlin,
                                  window: ICalendarFixtures.window("9999-12-20T00:00:00Z", "9999-12-31T00:00:00Z")) == [
            "9999-12-21T09:00:00.000Z", "9999-12-28T09:00:00.000Z",
        ])
    }

    @Test func theFirstAndLastYearsLocalDateKnowsAreSafeToStepThrough() throws {
        // 0001-01-01 is a Monday: a week starting on Sunday begins the day before the first day.
        let first = ICalendarFixtures.window("0001-01-01T00:00:00Z", "0001-01-20T00:00:00Z")
        #expect(try Self.instants("FREQ=WEEKLY;WKST=SU;BYDAY=SU,MO", from: "0001-01-01T10:00", in: ICalendarFixtures.utc, window: first) == [
            "0001-01-01T10:00:00.000Z", "0001-01-07T10:00:00.000Z", "0001-01-08T10:00:00.000Z", "0001-01-14T10:00:00.000Z",
            "0001-01-15T10:00:00.000Z",
        ])
        let last = try Self.expansion("FREQ=DAILY", from: "9999-12-30T10:00", in: ICalendarFixtures.utc, window: Date.distantPast..<Date(timeIntervalSince1970: 1e12))
        #expect(last.starts.map { ISO8601.instant($0.instant) } == ["9999-12-30T10:00:00.000Z", "9999-12-31T10:00:00.000Z"])
        #expect(!last.isTruncated)
    }

    @Test func theInstanceLimitTruncates() throws {
        let utc = ICalendarFixtures.utc
        let limited = try Self.expansion("FREQ=DAILY", from: "2026-01-01T10:00", in: utc, limit: 5)
        #expect(limited.starts.map { ISO8601.instant($0.instant) } == [
            "2026-01-01T10:00:00.000Z", "2026-01-02T10:00:00.000Z", "2026-01-03T10:00:00.000Z", "2026-01-04T10:00:00.000Z", "2026-01-05T10:00:00.000Z",
        ])
        #expect(limited.isTruncated)
        let exact = try Self.expansion("FREQ=DAILY;COUNT=5", from: "2026-01-01T10:00", in: utc, limit: 5)
        #expect(exact.starts.count == 5 && !exact.isTruncated)
        let none = try Self.expansion("FREQ=DAILY", from: "2026-01-01T10:00", in: utc, limit: 0)
        #expect(none.starts.isEmpty && none.isTruncated)
        let secondly = try Self.expansion("FREQ=SECONDLY", from: "2026-01-01T10:00", in: utc)
        #expect(secondly.starts.count == 10_000 && secondly.isTruncated)
    }

    @Test(.timeLimit(.minutes(1)))
    func thePeriodBoundTruncatesAFineRuleThatRarelyMatches() throws {
        // One instance a day, looked for second by second: 200 000 seconds reach into the third day.
        let expansion = try Self.expansion("FREQ=SECONDLY;BYHOUR=9;BYMINUTE=0;BYSECOND=0", from: "2026-01-01T09:00", in: ICalendarFixtures.utc,
                                           window: ICalendarFixtures.window("2026-01-01T00:00:00Z", "2026-01-11T00:00:00Z"))
        #expect(expansion.starts.map { ISO8601.instant($0.instant) } == [
            "2026-01-01T09:00:00.000Z", "2026-01-02T09:00:00.000Z", "2026-01-03T09:00:00.000Z",
        ])
        #expect(expansion.isTruncated)
    }

    /// Rules built from random parts: whatever they are, expansion ends, stays in the window,
    /// ascends, and every instance after DTSTART has what the rule's limiting parts ask.
    @Test(.timeLimit(.minutes(2)))
    func randomRulesKeepTheirInvariants() throws {
        var random = TestRandom(seed: 5545)
        let zones = [ICalendarFixtures.berlin, ICalendarFixtures.newYork, ICalendarFixtures.moscow, ICalendarFixtures.utc]
        let weekdays = RecurrenceRule.Weekday.allCases
        var total = 0
        for _ in 0..<400 {
            let frequency = [RecurrenceRule.Frequency.daily, .weekly, .monthly, .yearly][random.below(4)]
            var rule = RecurrenceRule(frequency: frequency, interval: 1 + random.below(3))
            if random.below(3) == 0 { rule.count = 1 + random.below(40) }
            if random.below(2) == 0 { rule.byMonth = (0..<1 + random.below(3)).map { _ in 1 + random.below(12) } }
            if random.below(2) == 0 { rule.byDay = (0..<1 + random.below(3)).map { _ in RecurrenceRule.OrdinalWeekday(weekdays[random.below(7)]) } }
            if frequency != .weekly, random.below(2) == 0 {
                rule.byMonthDay = (0..<1 + random.below(3)).map { _ in (1 + random.below(31)) * (random.below(3) == 0 ? -1 : 1) }
            }
            if random.below(3) == 0 { rule.byHour = (0..<1 + random.below(2)).map { _ in random.below(24) } }
            if random.below(4) == 0 { rule.bySetPosition = [random.below(2) == 0 ? 1 : -1] }
            rule.weekStart = weekdays[random.below(7)]
            let zone = zones[random.below(zones.count)]
            let start = EventTime(date: LocalDate(year: 2025 + random.below(2), month: 1 + random.below(12), day: 1 + random.below(28)),
                                  secondsIntoDay: random.below(96) * 900, in: zone)
            let from = start.instant.addingTimeInterval(TimeInterval(random.below(400) * 86_400 - 100 * 86_400))
            let window = from..<from.addingTimeInterval(TimeInterval((1 + random.below(120)) * 86_400))
            let expansion = rule.starts(from: start, in: window, limit: 500)
            let starts = expansion.starts
            total += starts.count
            #expect(starts.allSatisfy { window.contains($0.instant) }, "\(rule)")
            #expect(zip(starts, starts.dropFirst()).allSatisfy { $0.instant < $1.instant }, "\(rule)")
            #expect(starts.count <= 500)
            for time in starts where time != start {
                let date = time.date
                #expect(rule.byMonth.isEmpty || rule.byMonth.contains(date.month), "\(rule) gave \(date)")
                #expect(rule.byDay.isEmpty || rule.byDay.contains { $0.weekday.rawValue == date.weekday }, "\(rule) gave \(date)")
                let monthLength = (28...31).last { LocalDate.valid(year: date.year, month: date.month, day: $0) != nil } ?? 28
                #expect(rule.byMonthDay.isEmpty || rule.byMonthDay.contains(date.day) || rule.byMonthDay.contains(date.day - monthLength - 1),
                        "\(rule) gave \(date)")
                // A time skipped in spring moves an hour on, so the hour may be one past the rule's.
                let hour = time.secondsIntoDay / 3600
                #expect(rule.byHour.isEmpty || rule.byHour.contains(hour) || rule.byHour.contains(hour - 1), "\(rule) gave \(hour)h")
            }
        }
        #expect(total > 800, "the random rules should give instances to check")
    }
}

/// A small seeded generator (SplitMix64), so random tests give the same cases every run.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// From 0 to `bound` - 1.
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
