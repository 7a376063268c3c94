import CivilTime
import Foundation
import Testing
@testable import ICalendar

/// RFC 5545 §3.8.5.3's worked examples, each checked against the instances the RFC lists (all on
/// America/New_York's clock, EDT -04:00 and EST -05:00 as the RFC labels them).
@Suite struct RecurrenceRFCExampleTests {
    static let wide = ICalendarFixtures.window("1990-01-01T00:00:00Z", "2030-01-01T00:00:00Z")

    /// The starts `rule` gives from `start` (`1997-09-02T09:00` in New York), as local ISO 8601.
    static func starts(_ rule: String, from start: String, until end: String? = nil) throws -> [String] {
        let window = end.map { ICalendarFixtures.window("1990-01-01T00:00:00Z", $0) } ?? wide
        let zone = ICalendarFixtures.newYork
        return try RecurrenceRule(parsing: rule).starts(from: ICalendarFixtures.wallClock(start, in: zone), in: window).starts
            .map { ISO8601.local($0.instant, in: zone) }
    }

    @Test func dailyForTenOccurrences() throws {
        #expect(try Self.starts("FREQ=DAILY;COUNT=10", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-03T09:00:00-04:00", "1997-09-04T09:00:00-04:00", "1997-09-05T09:00:00-04:00",
            "1997-09-06T09:00:00-04:00", "1997-09-07T09:00:00-04:00", "1997-09-08T09:00:00-04:00", "1997-09-09T09:00:00-04:00",
            "1997-09-10T09:00:00-04:00", "1997-09-11T09:00:00-04:00",
        ])
    }

    @Test func dailyUntilDecember24StaysAtNineThroughTheChangeToStandardTime() throws {
        let starts = try Self.starts("FREQ=DAILY;UNTIL=19971224T000000Z", from: "1997-09-02T09:00")
        #expect(starts.count == 29 + 25 + 6 + 30 + 23)  // September 2-30, October 1-25 (EDT), October 26-31, November, December 1-23
        #expect(starts.first == "1997-09-02T09:00:00-04:00")
        #expect(starts[53...54] == ["1997-10-25T09:00:00-04:00", "1997-10-26T09:00:00-05:00"])
        #expect(starts.last == "1997-12-23T09:00:00-05:00")
    }

    @Test func everyOtherDayForever() throws {
        let starts = try Self.starts("FREQ=DAILY;INTERVAL=2", from: "1997-09-02T09:00", until: "1997-12-04T00:00:00Z")
        #expect(starts.prefix(3) == ["1997-09-02T09:00:00-04:00", "1997-09-04T09:00:00-04:00", "1997-09-06T09:00:00-04:00"])
        #expect(starts.contains("1997-10-24T09:00:00-04:00") && starts.contains("1997-10-26T09:00:00-05:00"))
        #expect(!starts.contains("1997-10-25T09:00:00-04:00"))
        #expect(starts.suffix(4) == ["1997-11-27T09:00:00-05:00", "1997-11-29T09:00:00-05:00", "1997-12-01T09:00:00-05:00", "1997-12-03T09:00:00-05:00"])
        #expect(starts.count == 15 + 12 + 3 + 15 + 2)
    }

    @Test func everyTenDaysFiveOccurrences() throws {
        #expect(try Self.starts("FREQ=DAILY;INTERVAL=10;COUNT=5", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-12T09:00:00-04:00", "1997-09-22T09:00:00-04:00",
            "1997-10-02T09:00:00-04:00", "1997-10-12T09:00:00-04:00",
        ])
    }

    @Test func everyDayInJanuaryForThreeYearsBothWays() throws {
        let januaries = [1998, 1999, 2000].flatMap { year in
            (1...31).map { "\(year)-01-\($0 < 10 ? "0" : "")\($0)T09:00:00-05:00" }
        }
        #expect(try Self.starts("FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA", from: "1998-01-01T09:00") == januaries)
        #expect(try Self.starts("FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1", from: "1998-01-01T09:00") == januaries)
    }

    @Test func weeklyForTenOccurrences() throws {
        #expect(try Self.starts("FREQ=WEEKLY;COUNT=10", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-09T09:00:00-04:00", "1997-09-16T09:00:00-04:00", "1997-09-23T09:00:00-04:00",
            "1997-09-30T09:00:00-04:00", "1997-10-07T09:00:00-04:00", "1997-10-14T09:00:00-04:00", "1997-10-21T09:00:00-04:00",
            "1997-10-28T09:00:00-05:00", "1997-11-04T09:00:00-05:00",
        ])
    }

    @Test func weeklyUntilDecember24() throws {
        #expect(try Self.starts("FREQ=WEEKLY;UNTIL=19971224T000000Z", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-09T09:00:00-04:00", "1997-09-16T09:00:00-04:00", "1997-09-23T09:00:00-04:00",
            "1997-09-30T09:00:00-04:00", "1997-10-07T09:00:00-04:00", "1997-10-14T09:00:00-04:00", "1997-10-21T09:00:00-04:00",
            "1997-10-28T09:00:00-05:00", "1997-11-04T09:00:00-05:00", "1997-11-11T09:00:00-05:00", "1997-11-18T09:00:00-05:00",
            "1997-11-25T09:00:00-05:00", "1997-12-02T09:00:00-05:00", "1997-12-09T09:00:00-05:00", "1997-12-16T09:00:00-05:00",
            "1997-12-23T09:00:00-05:00",
        ])
    }

    @Test func everyOtherWeekForever() throws {
        #expect(try Self.starts("FREQ=WEEKLY;INTERVAL=2;WKST=SU", from: "1997-09-02T09:00", until: "1998-02-18T00:00:00Z") == [
            "1997-09-02T09:00:00-04:00", "1997-09-16T09:00:00-04:00", "1997-09-30T09:00:00-04:00", "1997-10-14T09:00:00-04:00",
            "1997-10-28T09:00:00-05:00", "1997-11-11T09:00:00-05:00", "1997-11-25T09:00:00-05:00", "1997-12-09T09:00:00-05:00",
            "1997-12-23T09:00:00-05:00", "1998-01-06T09:00:00-05:00", "1998-01-20T09:00:00-05:00", "1998-02-03T09:00:00-05:00",
            "1998-02-17T09:00:00-05:00",
        ])
    }

    @Test func weeklyOnTuesdayAndThursdayForFiveWeeksByUntilOrCount() throws {
        let expected = [
            "1997-09-02T09:00:00-04:00", "1997-09-04T09:00:00-04:00", "1997-09-09T09:00:00-04:00", "1997-09-11T09:00:00-04:00",
            "1997-09-16T09:00:00-04:00", "1997-09-18T09:00:00-04:00", "1997-09-23T09:00:00-04:00", "1997-09-25T09:00:00-04:00",
            "1997-09-30T09:00:00-04:00", "1997-10-02T09:00:00-04:00",
        ]
        #expect(try Self.starts("FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", from: "1997-09-02T09:00") == expected)
        #expect(try Self.starts("FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", from: "1997-09-02T09:00") == expected)
    }

    @Test func everyOtherWeekOnMondayWednesdayAndFridayUntilDecember24() throws {
        #expect(try Self.starts("FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", from: "1997-09-01T09:00") == [
            "1997-09-01T09:00:00-04:00", "1997-09-03T09:00:00-04:00", "1997-09-05T09:00:00-04:00", "1997-09-15T09:00:00-04:00",
            "1997-09-17T09:00:00-04:00", "1997-09-19T09:00:00-04:00", "1997-09-29T09:00:00-04:00", "1997-10-01T09:00:00-04:00",
            "1997-10-03T09:00:00-04:00", "1997-10-13T09:00:00-04:00", "1997-10-15T09:00:00-04:00", "1997-10-17T09:00:00-04:00",
            "1997-10-27T09:00:00-05:00", "1997-10-29T09:00:00-05:00", "1997-10-31T09:00:00-05:00", "1997-11-10T09:00:00-05:00",
            "1997-11-12T09:00:00-05:00", "1997-11-14T09:00:00-05:00", "1997-11-24T09:00:00-05:00", "1997-11-26T09:00:00-05:00",
            "1997-11-28T09:00:00-05:00", "1997-12-08T09:00:00-05:00", "1997-12-10T09:00:00-05:00", "1997-12-12T09:00:00-05:00",
            "1997-12-22T09:00:00-05:00",
        ])
    }

    @Test func everyOtherWeekOnTuesdayAndThursdayForEightOccurrences() throws {
        #expect(try Self.starts("FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-04T09:00:00-04:00", "1997-09-16T09:00:00-04:00", "1997-09-18T09:00:00-04:00",
            "1997-09-30T09:00:00-04:00", "1997-10-02T09:00:00-04:00", "1997-10-14T09:00:00-04:00", "1997-10-16T09:00:00-04:00",
        ])
    }

    @Test func monthlyOnTheFirstFridayForTenOccurrences() throws {
        #expect(try Self.starts("FREQ=MONTHLY;COUNT=10;BYDAY=1FR", from: "1997-09-05T09:00") == [
            "1997-09-05T09:00:00-04:00", "1997-10-03T09:00:00-04:00", "1997-11-07T09:00:00-05:00", "1997-12-05T09:00:00-05:00",
            "1998-01-02T09:00:00-05:00", "1998-02-06T09:00:00-05:00", "1998-03-06T09:00:00-05:00", "1998-04-03T09:00:00-05:00",
            "1998-05-01T09:00:00-04:00", "1998-06-05T09:00:00-04:00",
        ])
    }

    @Test func monthlyOnTheFirstFridayUntilDecember24() throws {
        #expect(try Self.starts("FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR", from: "1997-09-05T09:00") == [
            "1997-09-05T09:00:00-04:00", "1997-10-03T09:00:00-04:00", "1997-11-07T09:00:00-05:00", "1997-12-05T09:00:00-05:00",
        ])
    }

    @Test func everyOtherMonthOnTheFirstAndLastSunday() throws {
        #expect(try Self.starts("FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", from: "1997-09-07T09:00") == [
            "1997-09-07T09:00:00-04:00", "1997-09-28T09:00:00-04:00", "1997-11-02T09:00:00-05:00", "1997-11-30T09:00:00-05:00",
            "1998-01-04T09:00:00-05:00", "1998-01-25T09:00:00-05:00", "1998-03-01T09:00:00-05:00", "1998-03-29T09:00:00-05:00",
            "1998-05-03T09:00:00-04:00", "1998-05-31T09:00:00-04:00",
        ])
    }

    @Test func monthlyOnTheSecondToLastMondayForSixMonths() throws {
        #expect(try Self.starts("FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", from: "1997-09-22T09:00") == [
            "1997-09-22T09:00:00-04:00", "1997-10-20T09:00:00-04:00", "1997-11-17T09:00:00-05:00", "1997-12-22T09:00:00-05:00",
            "1998-01-19T09:00:00-05:00", "1998-02-16T09:00:00-05:00",
        ])
    }

    @Test func monthlyOnTheThirdToLastDay() throws {
        #expect(try Self.starts("FREQ=MONTHLY;BYMONTHDAY=-3", from: "1997-09-28T09:00", until: "1998-03-01T00:00:00Z") == [
            "1997-09-28T09:00:00-04:00", "1997-10-29T09:00:00-05:00", "1997-11-28T09:00:00-05:00", "1997-12-29T09:00:00-05:00",
            "1998-01-29T09:00:00-05:00", "1998-02-26T09:00:00-05:00",
        ])
    }

    @Test func monthlyOnTheSecondAndFifteenth() throws {
        #expect(try Self.starts("FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-15T09:00:00-04:00", "1997-10-02T09:00:00-04:00", "1997-10-15T09:00:00-04:00",
            "1997-11-02T09:00:00-05:00", "1997-11-15T09:00:00-05:00", "1997-12-02T09:00:00-05:00", "1997-12-15T09:00:00-05:00",
            "1998-01-02T09:00:00-05:00", "1998-01-15T09:00:00-05:00",
        ])
    }

    @Test func monthlyOnTheFirstAndLastDay() throws {
        #expect(try Self.starts("FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1", from: "1997-09-30T09:00") == [
            "1997-09-30T09:00:00-04:00", "1997-10-01T09:00:00-04:00", "1997-10-31T09:00:00-05:00", "1997-11-01T09:00:00-05:00",
            "1997-11-30T09:00:00-05:00", "1997-12-01T09:00:00-05:00", "1997-12-31T09:00:00-05:00", "1998-01-01T09:00:00-05:00",
            "1998-01-31T09:00:00-05:00", "1998-02-01T09:00:00-05:00",
        ])
    }

    @Test func everyEighteenMonthsOnTheTenthToFifteenth() throws {
        #expect(try Self.starts("FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15", from: "1997-09-10T09:00") == [
            "1997-09-10T09:00:00-04:00", "1997-09-11T09:00:00-04:00", "1997-09-12T09:00:00-04:00", "1997-09-13T09:00:00-04:00",
            "1997-09-14T09:00:00-04:00", "1997-09-15T09:00:00-04:00", "1999-03-10T09:00:00-05:00", "1999-03-11T09:00:00-05:00",
            "1999-03-12T09:00:00-05:00", "1999-03-13T09:00:00-05:00",
        ])
    }

    @Test func everyTuesdayEveryOtherMonth() throws {
        #expect(try Self.starts("FREQ=MONTHLY;INTERVAL=2;BYDAY=TU", from: "1997-09-02T09:00", until: "1998-04-01T00:00:00Z") == [
            "1997-09-02T09:00:00-04:00", "1997-09-09T09:00:00-04:00", "1997-09-16T09:00:00-04:00", "1997-09-23T09:00:00-04:00",
            "1997-09-30T09:00:00-04:00", "1997-11-04T09:00:00-05:00", "1997-11-11T09:00:00-05:00", "1997-11-18T09:00:00-05:00",
            "1997-11-25T09:00:00-05:00", "1998-01-06T09:00:00-05:00", "1998-01-13T09:00:00-05:00", "1998-01-20T09:00:00-05:00",
            "1998-01-27T09:00:00-05:00", "1998-03-03T09:00:00-05:00", "1998-03-10T09:00:00-05:00", "1998-03-17T09:00:00-05:00",
            "1998-03-24T09:00:00-05:00", "1998-03-31T09:00:00-05:00",
        ])
    }

    @Test func yearlyInJuneAndJulyForTenOccurrences() throws {
        #expect(try Self.starts("FREQ=YEARLY;COUNT=10;BYMONTH=6,7", from: "1997-06-10T09:00") == [
            "1997-06-10T09:00:00-04:00", "1997-07-10T09:00:00-04:00", "1998-06-10T09:00:00-04:00", "1998-07-10T09:00:00-04:00",
            "1999-06-10T09:00:00-04:00", "1999-07-10T09:00:00-04:00", "2000-06-10T09:00:00-04:00", "2000-07-10T09:00:00-04:00",
            "2001-06-10T09:00:00-04:00", "2001-07-10T09:00:00-04:00",
        ])
    }

    @Test func everyOtherYearInJanuaryFebruaryAndMarch() throws {
        #expect(try Self.starts("FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3", from: "1997-03-10T09:00") == [
            "1997-03-10T09:00:00-05:00", "1999-01-10T09:00:00-05:00", "1999-02-10T09:00:00-05:00", "1999-03-10T09:00:00-05:00",
            "2001-01-10T09:00:00-05:00", "2001-02-10T09:00:00-05:00", "2001-03-10T09:00:00-05:00", "2003-01-10T09:00:00-05:00",
            "2003-02-10T09:00:00-05:00", "2003-03-10T09:00:00-05:00",
        ])
    }

    @Test func everyThirdYearOnThe1st100thAnd200thDay() throws {
        #expect(try Self.starts("FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", from: "1997-01-01T09:00") == [
            "1997-01-01T09:00:00-05:00", "1997-04-10T09:00:00-04:00", "1997-07-19T09:00:00-04:00", "2000-01-01T09:00:00-05:00",
            "2000-04-09T09:00:00-04:00", "2000-07-18T09:00:00-04:00", "2003-01-01T09:00:00-05:00", "2003-04-10T09:00:00-04:00",
            "2003-07-19T09:00:00-04:00", "2006-01-01T09:00:00-05:00",
        ])
    }

    @Test func everyTwentiethMondayOfTheYear() throws {
        #expect(try Self.starts("FREQ=YEARLY;BYDAY=20MO", from: "1997-05-19T09:00", until: "2000-01-01T00:00:00Z") == [
            "1997-05-19T09:00:00-04:00", "1998-05-18T09:00:00-04:00", "1999-05-17T09:00:00-04:00",
        ])
    }

    @Test func mondayOfWeekNumberTwenty() throws {
        #expect(try Self.starts("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", from: "1997-05-12T09:00", until: "2000-01-01T00:00:00Z") == [
            "1997-05-12T09:00:00-04:00", "1998-05-11T09:00:00-04:00", "1999-05-17T09:00:00-04:00",
        ])
    }

    @Test func everyThursdayInMarch() throws {
        #expect(try Self.starts("FREQ=YEARLY;BYMONTH=3;BYDAY=TH", from: "1997-03-13T09:00", until: "2000-01-01T00:00:00Z") == [
            "1997-03-13T09:00:00-05:00", "1997-03-20T09:00:00-05:00", "1997-03-27T09:00:00-05:00",
            "1998-03-05T09:00:00-05:00", "1998-03-12T09:00:00-05:00", "1998-03-19T09:00:00-05:00", "1998-03-26T09:00:00-05:00",
            "1999-03-04T09:00:00-05:00", "1999-03-11T09:00:00-05:00", "1999-03-18T09:00:00-05:00", "1999-03-25T09:00:00-05:00",
        ])
    }

    @Test func everyThursdayInJuneJulyAndAugust() throws {
        #expect(try Self.starts("FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8", from: "1997-06-05T09:00", until: "2000-01-01T00:00:00Z") == [
            "1997-06-05T09:00:00-04:00", "1997-06-12T09:00:00-04:00", "1997-06-19T09:00:00-04:00", "1997-06-26T09:00:00-04:00",
            "1997-07-03T09:00:00-04:00", "1997-07-10T09:00:00-04:00", "1997-07-17T09:00:00-04:00", "1997-07-24T09:00:00-04:00", "1997-07-31T09:00:00-04:00",
            "1997-08-07T09:00:00-04:00", "1997-08-14T09:00:00-04:00", "1997-08-21T09:00:00-04:00", "1997-08-28T09:00:00-04:00",
            "1998-06-04T09:00:00-04:00", "1998-06-11T09:00:00-04:00", "1998-06-18T09:00:00-04:00", "1998-06-25T09:00:00-04:00",
            "1998-07-02T09:00:00-04:00", "1998-07-09T09:00:00-04:00", "1998-07-16T09:00:00-04:00", "1998-07-23T09:00:00-04:00", "1998-07-30T09:00:00-04:00",
            "1998-08-06T09:00:00-04:00", "1998-08-13T09:00:00-04:00", "1998-08-20T09:00:00-04:00", "1998-08-27T09:00:00-04:00",
            "1999-06-03T09:00:00-04:00", "1999-06-10T09:00:00-04:00", "1999-06-17T09:00:00-04:00", "1999-06-24T09:00:00-04:00",
            "1999-07-01T09:00:00-04:00", "1999-07-08T09:00:00-04:00", "1999-07-15T09:00:00-04:00", "1999-07-22T09:00:00-04:00", "1999-07-29T09:00:00-04:00",
            "1999-08-05T09:00:00-04:00", "1999-08-12T09:00:00-04:00", "1999-08-19T09:00:00-04:00", "1999-08-26T09:00:00-04:00",
        ])
    }

    /// DTSTART is no Friday the 13th, so the RFC leaves it out with an EXDATE: the recurrence set
    /// is the event's, not the rule's.
    @Test func everyFridayTheThirteenth() throws {
        let zone = ICalendarFixtures.newYork
        let start = ICalendarFixtures.wallClock("1997-09-02T09:00", in: zone)
        let event = ImportedEvent(uid: "friday", start: start, duration: .zero,
                                  recurrenceRules: [try RecurrenceRule(parsing: "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13")], exceptionDates: [start])
        let instances = event.instances(overlapping: ICalendarFixtures.window("1997-01-01T00:00:00Z", "2001-01-01T00:00:00Z"))
        #expect(instances.instances.map { ISO8601.local($0.start.instant, in: zone) } == [
            "1998-02-13T09:00:00-05:00", "1998-03-13T09:00:00-05:00", "1998-11-13T09:00:00-05:00",
            "1999-08-13T09:00:00-04:00", "2000-10-13T09:00:00-04:00",
        ])
    }

    @Test func theFirstSaturdayThatFollowsTheFirstSunday() throws {
        #expect(try Self.starts("FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", from: "1997-09-13T09:00", until: "1998-07-01T00:00:00Z") == [
            "1997-09-13T09:00:00-04:00", "1997-10-11T09:00:00-04:00", "1997-11-08T09:00:00-05:00", "1997-12-13T09:00:00-05:00",
            "1998-01-10T09:00:00-05:00", "1998-02-07T09:00:00-05:00", "1998-03-07T09:00:00-05:00", "1998-04-11T09:00:00-04:00",
            "1998-05-09T09:00:00-04:00", "1998-06-13T09:00:00-04:00",
        ])
    }

    @Test func presidentialElectionDay() throws {
        #expect(try Self.starts("FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", from: "1996-11-05T09:00",
                                until: "2005-01-01T00:00:00Z") == [
            "1996-11-05T09:00:00-05:00", "2000-11-07T09:00:00-05:00", "2004-11-02T09:00:00-05:00",
        ])
    }

    @Test func theThirdTuesdayWednesdayOrThursdayOfTheMonth() throws {
        #expect(try Self.starts("FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", from: "1997-09-04T09:00") == [
            "1997-09-04T09:00:00-04:00", "1997-10-07T09:00:00-04:00", "1997-11-06T09:00:00-05:00",
        ])
    }

    @Test func theSecondToLastWeekdayOfTheMonth() throws {
        #expect(try Self.starts("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", from: "1997-09-29T09:00", until: "1998-04-01T00:00:00Z") == [
            "1997-09-29T09:00:00-04:00", "1997-10-30T09:00:00-05:00", "1997-11-27T09:00:00-05:00", "1997-12-30T09:00:00-05:00",
            "1998-01-29T09:00:00-05:00", "1998-02-26T09:00:00-05:00", "1998-03-30T09:00:00-05:00",
        ])
    }

    /// The RFC lists 15:00 too, but 15:00 EDT is 19:00Z, past its UNTIL (a known erratum): with
    /// UNTIL at 21:00Z all three come.
    @Test func everyThreeHoursOnOneDay() throws {
        #expect(try Self.starts("FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-02T12:00:00-04:00",
        ])
        #expect(try Self.starts("FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-02T12:00:00-04:00", "1997-09-02T15:00:00-04:00",
        ])
    }

    @Test func everyFifteenMinutesForSixOccurrences() throws {
        #expect(try Self.starts("FREQ=MINUTELY;INTERVAL=15;COUNT=6", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-02T09:15:00-04:00", "1997-09-02T09:30:00-04:00",
            "1997-09-02T09:45:00-04:00", "1997-09-02T10:00:00-04:00", "1997-09-02T10:15:00-04:00",
        ])
    }

    @Test func everyHourAndAHalfForFourOccurrences() throws {
        #expect(try Self.starts("FREQ=MINUTELY;INTERVAL=90;COUNT=4", from: "1997-09-02T09:00") == [
            "1997-09-02T09:00:00-04:00", "1997-09-02T10:30:00-04:00", "1997-09-02T12:00:00-04:00", "1997-09-02T13:30:00-04:00",
        ])
    }

    @Test func everyTwentyMinutesFromNineToFourFortyBothWays() throws {
        let firstDay = (9...16).flatMap { hour in
            ["00", "20", "40"].map { "1997-09-02T\(hour < 10 ? "0" : "")\(hour):\($0):00-04:00" }
        }
        let expected = firstDay + ["1997-09-03T09:00:00-04:00"]
        let end = "1997-09-03T13:00:01Z"
        #expect(try Self.starts("FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", from: "1997-09-02T09:00", until: end) == expected)
        #expect(try Self.starts("FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", from: "1997-09-02T09:00", until: end) == expected)
    }

    @Test func theWeekStartDecidesWhichDaysAnIntervalTakes() throws {
        #expect(try Self.starts("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", from: "1997-08-05T09:00") == [
            "1997-08-05T09:00:00-04:00", "1997-08-10T09:00:00-04:00", "1997-08-19T09:00:00-04:00", "1997-08-24T09:00:00-04:00",
        ])
        #expect(try Self.starts("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", from: "1997-08-05T09:00") == [
            "1997-08-05T09:00:00-04:00", "1997-08-17T09:00:00-04:00", "1997-08-19T09:00:00-04:00", "1997-08-31T09:00:00-04:00",
        ])
    }

    @Test func februaryThirtiethIsSkippedAndNotCounted() throws {
        #expect(try Self.starts("FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", from: "2007-01-15T09:00") == [
            "2007-01-15T09:00:00-05:00", "2007-01-30T09:00:00-05:00", "2007-02-15T09:00:00-05:00",
            "2007-03-15T09:00:00-04:00", "2007-03-30T09:00:00-04:00",
        ])
    }
}
