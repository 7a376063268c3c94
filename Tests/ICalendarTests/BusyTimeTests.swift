import CivilTime
import Foundation
import Testing
@testable import ICalendar

/// The busy time the daemon imports: which events hold time, their instances and overrides, and
/// the window's edges.
@Suite struct BusyTimeTests {
    typealias Fixtures = ICalendarFixtures

    static let weeklyLines = [
        "UID:weekly@example.com", "DTSTART;TZID=Europe/Berlin:20260316T100000", "DTEND;TZID=Europe/Berlin:20260316T110000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO", "SUMMARY:Weekly",
    ]
    static let weekly = Fixtures.event(weeklyLines)
    static let march = Fixtures.window("2026-03-16T00:00:00Z", "2026-04-07T00:00:00Z")

    static func busy(_ calendars: [String], window: Range<Date>, zone: TimeZone = Fixtures.berlin,
                     options: BusyTime.Options = BusyTime.Options()) throws -> BusyTime {
        try BusyTime(calendars: calendars, window: window, defaultZone: zone, options: options)
    }

    static func busy(_ events: String..., window: Range<Date> = march, zone: TimeZone = Fixtures.berlin,
                     options: BusyTime.Options = BusyTime.Options()) throws -> BusyTime {
        try busy([Fixtures.calendar(events.joined(separator: "\r\n"))], window: window, zone: zone, options: options)
    }

    /// `start/end` in UTC, one per occurrence.
    static func spans(_ busy: BusyTime) -> [String] {
        busy.occurrences.map { ISO8601.instant($0.start) + "/" + ISO8601.instant($0.end) }
    }

    // MARK: Recurrence

    @Test func aWeeklyBerlinMeetingShiftsInUTCAtBothChanges() throws {
        let spring = try Self.busy(Self.weekly)
        #expect(Self.spans(spring) == [
            "2026-03-16T09:00:00.000Z/2026-03-16T10:00:00.000Z", "2026-03-23T09:00:00.000Z/2026-03-23T10:00:00.000Z",
            "2026-03-30T08:00:00.000Z/2026-03-30T09:00:00.000Z", "2026-04-06T08:00:00.000Z/2026-04-06T09:00:00.000Z",
        ])
        #expect(spring.occurrences.allSatisfy { $0.uid == "weekly@example.com" && $0.summary == "Weekly" && !$0.isAllDay })
        #expect(spring.occurrences.map(\.recurrenceID) == spring.occurrences.map(\.start))
        let autumn = try Self.busy(Self.weekly, window: Fixtures.window("2026-10-19T00:00:00Z", "2026-10-27T00:00:00Z"))
        #expect(Self.spans(autumn) == [
            "2026-10-19T08:00:00.000Z/2026-10-19T09:00:00.000Z", "2026-10-26T09:00:00.000Z/2026-10-26T10:00:00.000Z",
        ])
        #expect(spring.warnings.isEmpty && !spring.isTruncated)
    }

    @Test func exceptionDatesByInstantAndByDay() throws {
        let busy = try Self.busy(Fixtures.event(Self.weeklyLines + [
            "EXDATE;TZID=Europe/Berlin:20260323T100000", "EXDATE;VALUE=DATE:20260330", "EXDATE:20260406T090000Z",
        ]))
        // The last EXDATE is 09:00Z, an hour off 2026-04-06's instance (08:00Z in summer time): it takes nothing.
        #expect(Self.spans(busy) == [
            "2026-03-16T09:00:00.000Z/2026-03-16T10:00:00.000Z", "2026-04-06T08:00:00.000Z/2026-04-06T09:00:00.000Z",
        ])
    }

    @Test func aMovedOverrideTakesItsInstancesPlace() throws {
        let busy = try Self.busy(Self.weekly, Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000", "DTSTART;TZID=Europe/Berlin:20260324T140000",
            "DTEND;TZID=Europe/Berlin:20260324T153000", "SUMMARY:Weekly (moved)", "SEQUENCE:1"))
        #expect(Self.spans(busy) == [
            "2026-03-16T09:00:00.000Z/2026-03-16T10:00:00.000Z", "2026-03-24T13:00:00.000Z/2026-03-24T14:30:00.000Z",
            "2026-03-30T08:00:00.000Z/2026-03-30T09:00:00.000Z", "2026-04-06T08:00:00.000Z/2026-04-06T09:00:00.000Z",
        ])
        let moved = busy.occurrences[1]
        #expect(moved.recurrenceID == Fixtures.instant("2026-03-23T09:00:00Z") && moved.summary == "Weekly (moved)")
    }

    @Test func aCancelledOverrideRemovesItsInstance() throws {
        let busy = try Self.busy(Self.weekly, Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260330T100000", "DTSTART;TZID=Europe/Berlin:20260330T100000",
            "DTEND;TZID=Europe/Berlin:20260330T110000", "STATUS:CANCELLED"))
        #expect(busy.occurrences.map(\.start) == [
            Fixtures.instant("2026-03-16T09:00:00Z"), Fixtures.instant("2026-03-23T09:00:00Z"), Fixtures.instant("2026-04-06T08:00:00Z"),
        ])
    }

    @Test func anOverrideCountsWhereItIsNotWhereItWas() throws {
        let override = Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260330T100000", "DTSTART;TZID=Europe/Berlin:20260325T120000",
            "DTEND;TZID=Europe/Berlin:20260325T130000")
        // No Monday in this window: only the instance moved into it from the 30th.
        let into = try Self.busy(Self.weekly, override, window: Fixtures.window("2026-03-24T00:00:00Z", "2026-03-29T00:00:00Z"))
        #expect(Self.spans(into) == ["2026-03-25T11:00:00.000Z/2026-03-25T12:00:00.000Z"])
        #expect(into.occurrences.first?.recurrenceID == Fixtures.instant("2026-03-30T08:00:00Z"))
        // The 30th itself: its instance moved out, and nothing else is there.
        let outOf = try Self.busy(Self.weekly, override, window: Fixtures.window("2026-03-30T00:00:00Z", "2026-03-31T00:00:00Z"))
        #expect(outOf.occurrences.isEmpty)
    }

    @Test func overridesAreMatchedAcrossCalendarTexts() throws {
        let master = Fixtures.calendar(Self.weekly)
        let override = Fixtures.calendar(Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID:20260316T090000Z", "DTSTART:20260317T070000Z", "DTEND:20260317T080000Z"))
        let unrelated = Fixtures.calendar(Fixtures.event("UID:other", "DTSTART:20260318T120000Z", "DTEND:20260318T121500Z"))
        let busy = try Self.busy([override, unrelated, master], window: Fixtures.window("2026-03-16T00:00:00Z", "2026-03-24T00:00:00Z"))
        #expect(Self.spans(busy) == [
            "2026-03-17T07:00:00.000Z/2026-03-17T08:00:00.000Z", "2026-03-18T12:00:00.000Z/2026-03-18T12:15:00.000Z",
            "2026-03-23T09:00:00.000Z/2026-03-23T10:00:00.000Z",
        ])
        #expect(busy.occurrences.map(\.uid) == ["weekly@example.com", "other", "weekly@example.com"])
        #expect(busy.occurrences[1].recurrenceID == nil)
    }

    @Test func anOverrideWithoutItsMasterStillHoldsTime() throws {
        // Invited to one instance of someone else's series: the server has that instance only.
        let busy = try Self.busy(Fixtures.event(
            "UID:series@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260318T150000", "DTSTART;TZID=Europe/Berlin:20260318T150000",
            "DTEND;TZID=Europe/Berlin:20260318T160000"))
        #expect(Self.spans(busy) == ["2026-03-18T14:00:00.000Z/2026-03-18T15:00:00.000Z"])
        #expect(busy.occurrences.first?.recurrenceID == Fixtures.instant("2026-03-18T14:00:00Z"))
    }

    @Test func anOverridesOwnTransparencyAndStatusApply() throws {
        let free = Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000", "DTSTART;TZID=Europe/Berlin:20260323T100000",
            "DTEND;TZID=Europe/Berlin:20260323T110000", "TRANSP:TRANSPARENT")
        #expect(try Self.busy(Self.weekly, free).occurrences.count == 3)
        // A free series with one instance made busy.
        let freeSeries = Fixtures.event(Self.weeklyLines + ["TRANSP:TRANSPARENT"])
        let busyOne = Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000", "DTSTART;TZID=Europe/Berlin:20260323T100000",
            "DTEND;TZID=Europe/Berlin:20260323T110000")
        #expect(Self.spans(try Self.busy(freeSeries, busyOne)) == ["2026-03-23T09:00:00.000Z/2026-03-23T10:00:00.000Z"])
    }

    /// RANGE=THISANDFUTURE is read as an override of the one instance it names.
    @Test func thisAndFutureChangesOnlyTheNamedInstance() throws {
        let busy = try Self.busy(Self.weekly, Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260323T100000",
            "DTSTART;TZID=Europe/Berlin:20260323T120000", "DTEND;TZID=Europe/Berlin:20260323T130000"))
        #expect(busy.occurrences.map(\.start) == [
            Fixtures.instant("2026-03-16T09:00:00Z"), Fixtures.instant("2026-03-23T11:00:00Z"),
            Fixtures.instant("2026-03-30T08:00:00Z"), Fixtures.instant("2026-04-06T08:00:00Z"),
        ])
    }

    @Test func recurrenceDatesWithTheirOwnLengths() throws {
        let busy = try Self.busy(Fixtures.event(
            "UID:rdate", "DTSTART:20260316T090000Z", "DTEND:20260316T100000Z",
            "RDATE;VALUE=PERIOD:20260318T090000Z/PT3H,20260319T090000Z/20260319T093000Z", "RDATE:20260320T090000Z,20260316T090000Z"))
        #expect(Self.spans(busy) == [
            "2026-03-16T09:00:00.000Z/2026-03-16T10:00:00.000Z", "2026-03-18T09:00:00.000Z/2026-03-18T12:00:00.000Z",
            "2026-03-19T09:00:00.000Z/2026-03-19T09:30:00.000Z", "2026-03-20T09:00:00.000Z/2026-03-20T10:00:00.000Z",
        ])
        #expect(busy.occurrences.allSatisfy { $0.recurrenceID == $0.start })
    }

    // MARK: All-day events

    @Test func allDayEventsHoldTheConsultantsWholeDays() throws {
        let moscow = Fixtures.moscow
        let window = Fixtures.window("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
        let one = try Self.busy(Fixtures.event("UID:day", "DTSTART;VALUE=DATE:20260310", "SUMMARY:Отпуск"), window: window, zone: moscow)
        #expect(Self.spans(one) == ["2026-03-09T21:00:00.000Z/2026-03-10T21:00:00.000Z"])
        #expect(one.occurrences.first?.isAllDay == true && one.occurrences.first?.summary == "Отпуск")
        let three = try Self.busy(Fixtures.event("UID:days", "DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260313"), window: window, zone: moscow)
        #expect(Self.spans(three) == ["2026-03-09T21:00:00.000Z/2026-03-12T21:00:00.000Z"])
        let weekly = try Self.busy(Fixtures.event("UID:weekly-day", "DTSTART;VALUE=DATE:20260302", "RRULE:FREQ=WEEKLY;COUNT=2"),
                                   window: window, zone: moscow)
        #expect(Self.spans(weekly) == [
            "2026-03-01T21:00:00.000Z/2026-03-02T21:00:00.000Z", "2026-03-08T21:00:00.000Z/2026-03-09T21:00:00.000Z",
        ])
    }

    @Test func anAllDaySeriesLosesTheDaysItsExceptionsFallOn() throws {
        // A DATE, Berlin's midnight of the 9th (02:00 in Moscow) and Moscow's midnight of the 16th in UTC.
        let busy = try Self.busy(Fixtures.event(
            "UID:days", "DTSTART;VALUE=DATE:20260302", "RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;TZID=Europe/Berlin:20260309T000000",
            "EXDATE:20260315T210000Z", "EXDATE;VALUE=DATE:20260323"), window: Fixtures.window("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
            zone: Fixtures.moscow)
        #expect(Self.spans(busy) == [
            "2026-03-01T21:00:00.000Z/2026-03-02T21:00:00.000Z", "2026-03-29T21:00:00.000Z/2026-03-30T21:00:00.000Z",
        ])
    }

    @Test func anAllDayEventOnTheSpringChangeIsTwentyThreeHoursLong() throws {
        let busy = try Self.busy(Fixtures.event("UID:day", "DTSTART;VALUE=DATE:20260329"), zone: Fixtures.berlin)
        #expect(Self.spans(busy) == ["2026-03-28T23:00:00.000Z/2026-03-29T22:00:00.000Z"])
    }

    @Test func aLongInstanceThatBeganBeforeTheWindowIsKeptWhole() throws {
        // Three days from every Sunday; the window opens on a Tuesday.
        let busy = try Self.busy(Fixtures.event("UID:trip", "DTSTART;VALUE=DATE:20260315", "DTEND;VALUE=DATE:20260318", "RRULE:FREQ=WEEKLY"),
                                 window: Fixtures.window("2026-03-17T12:00:00Z", "2026-03-21T00:00:00Z"), zone: Fixtures.moscow)
        #expect(Self.spans(busy) == ["2026-03-14T21:00:00.000Z/2026-03-17T21:00:00.000Z"])
    }

    // MARK: What holds time

    @Test func transparentAndCancelledEventsHoldNothing() throws {
        let base = ["DTSTART:20260317T090000Z", "DTEND:20260317T100000Z"]
        #expect(try Self.busy(Fixtures.event(base + ["TRANSP:TRANSPARENT"])).occurrences.isEmpty)
        #expect(try Self.busy(Fixtures.event(base + ["STATUS:CANCELLED"])).occurrences.isEmpty)
        #expect(try Self.busy(Fixtures.event(base + ["STATUS:CONFIRMED", "TRANSP:OPAQUE"])).occurrences.count == 1)
        #expect(try Self.busy(Fixtures.event(Self.weeklyLines + ["STATUS:CANCELLED"])).occurrences.isEmpty)
    }

    @Test func tentativeEventsHoldTimeUnlessTheOptionSaysNot() throws {
        let tentative = Fixtures.event("DTSTART:20260317T090000Z", "DTEND:20260317T100000Z", "STATUS:TENTATIVE")
        #expect(try Self.busy(tentative).occurrences.count == 1)
        #expect(try Self.busy(tentative, options: BusyTime.Options(tentativeBlocks: false)).occurrences.isEmpty)
    }

    @Test func anInvitationTheConsultantDeclinedHoldsNothing() throws {
        let options = BusyTime.Options(attendeeAddresses: ["Consultant@example.com"])
        func busy(_ attendees: String...) throws -> Int {
            try Self.busy(Fixtures.event(["DTSTART:20260317T090000Z", "DTEND:20260317T100000Z"] + attendees), options: options).occurrences.count
        }
        #expect(try busy("ATTENDEE;PARTSTAT=DECLINED:MAILTO:consultant@EXAMPLE.com") == 0)
        #expect(try busy("ATTENDEE;PARTSTAT=DECLINED:consultant@example.com") == 0)
        #expect(try busy("ATTENDEE;PARTSTAT=ACCEPTED:mailto:consultant@example.com", "ATTENDEE;PARTSTAT=DECLINED:mailto:client@example.com") == 1)
        #expect(try busy("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:consultant@example.com") == 1)
        #expect(try busy("ATTENDEE:mailto:consultant@example.com") == 1)
        // Without the consultant's addresses nobody's answer counts.
        let unknown = Fixtures.event("DTSTART:20260317T090000Z", "DTEND:20260317T100000Z", "ATTENDEE;PARTSTAT=DECLINED:mailto:consultant@example.com")
        #expect(try Self.busy(unknown).occurrences.count == 1)
    }

    @Test func aDeclinedInstanceOfAnAcceptedSeriesAndTheOtherWayRound() throws {
        let options = BusyTime.Options(attendeeAddresses: ["mailto:consultant@example.com"])
        let declinedOnce = Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000", "DTSTART;TZID=Europe/Berlin:20260323T100000",
            "DTEND;TZID=Europe/Berlin:20260323T110000", "ATTENDEE;PARTSTAT=DECLINED:mailto:consultant@example.com")
        #expect(try Self.busy(Self.weekly, declinedOnce, options: options).occurrences.count == 3)
        let declinedSeries = Fixtures.event(Self.weeklyLines + ["ATTENDEE;PARTSTAT=DECLINED:mailto:consultant@example.com"])
        let acceptedOnce = Fixtures.event(
            "UID:weekly@example.com", "RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000", "DTSTART;TZID=Europe/Berlin:20260323T100000",
            "DTEND;TZID=Europe/Berlin:20260323T110000", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:consultant@example.com")
        #expect(Self.spans(try Self.busy(declinedSeries, acceptedOnce, options: options)) == ["2026-03-23T09:00:00.000Z/2026-03-23T10:00:00.000Z"])
    }

    @Test func eventsThatTakeNoTimeHoldNothing() throws {
        #expect(try Self.busy(Fixtures.event("DTSTART:20260317T090000Z")).occurrences.isEmpty)
        #expect(try Self.busy(Fixtures.event("DTSTART:20260317T090000Z", "DTEND:20260317T090000Z")).occurrences.isEmpty)
        #expect(try Self.busy(Fixtures.event("DTSTART:20260317T090000Z", "DURATION:PT0S")).occurrences.isEmpty)
        #expect(try Self.busy(Fixtures.event("DTSTART:20260317T090000Z", "RRULE:FREQ=DAILY")).occurrences.isEmpty)
    }

    @Test func aDurationGivesTheLength() throws {
        #expect(Self.spans(try Self.busy(Fixtures.event("DTSTART:20260317T090000Z", "DURATION:PT45M"))) == [
            "2026-03-17T09:00:00.000Z/2026-03-17T09:45:00.000Z",
        ])
    }

    // MARK: The window

    @Test func anOccurrenceOverlappingAnEdgeIsKeptWholeAndOneTouchingItIsNot() throws {
        let event = Fixtures.event("DTSTART:20260317T090000Z", "DTEND:20260317T100000Z")
        #expect(Self.spans(try Self.busy(event, window: Fixtures.window("2026-03-17T09:30:00Z", "2026-03-18T00:00:00Z"))) == [
            "2026-03-17T09:00:00.000Z/2026-03-17T10:00:00.000Z",
        ])
        #expect(Self.spans(try Self.busy(event, window: Fixtures.window("2026-03-17T00:00:00Z", "2026-03-17T09:30:00Z"))) == [
            "2026-03-17T09:00:00.000Z/2026-03-17T10:00:00.000Z",
        ])
        #expect(try Self.busy(event, window: Fixtures.window("2026-03-17T10:00:00Z", "2026-03-18T00:00:00Z")).occurrences.isEmpty)
        #expect(try Self.busy(event, window: Fixtures.window("2026-03-17T08:00:00Z", "2026-03-17T09:00:00Z")).occurrences.isEmpty)
        let empty = Fixtures.instant("2026-03-17T09:30:00Z")
        #expect(try Self.busy(event, window: empty..<empty).occurrences.isEmpty)
    }

    @Test func occurrencesAreSortedAcrossEvents() throws {
        let busy = try Self.busy(
            Fixtures.event("UID:c", "DTSTART:20260318T090000Z", "DTEND:20260318T100000Z"),
            Fixtures.event("UID:b", "DTSTART:20260317T090000Z", "DTEND:20260317T110000Z"),
            Fixtures.event("UID:a", "DTSTART:20260317T090000Z", "DTEND:20260317T100000Z"),
            Fixtures.event("UID:d", "DTSTART:20260317T090000Z", "DTEND:20260317T100000Z"))
        #expect(busy.occurrences.map(\.uid) == ["a", "d", "b", "c"])
    }

    @Test func theOccurrenceLimitTruncatesWithAWarning() throws {
        let options = BusyTime.Options(maximumOccurrences: 3)
        let daily = try Self.busy(Fixtures.event("UID:daily", "DTSTART:20260316T090000Z", "DTEND:20260316T100000Z", "RRULE:FREQ=DAILY"),
                                  options: options)
        #expect(daily.occurrences.map(\.start) == [
            Fixtures.instant("2026-03-16T09:00:00Z"), Fixtures.instant("2026-03-17T09:00:00Z"), Fixtures.instant("2026-03-18T09:00:00Z"),
        ])
        #expect(daily.isTruncated)
        #expect(daily.warnings.map(\.kind) == [.truncatedExpansion])
        #expect(daily.warnings.first?.uid == "daily")
        // Across events: the earliest are kept.
        let two = try Self.busy(
            Fixtures.event("UID:x", "DTSTART:20260316T090000Z", "DTEND:20260316T100000Z", "RRULE:FREQ=DAILY;COUNT=2"),
            Fixtures.event("UID:y", "DTSTART:20260316T120000Z", "DTEND:20260316T130000Z", "RRULE:FREQ=DAILY;COUNT=2"),
            options: options)
        #expect(two.occurrences.map(\.uid) == ["x", "y", "x"] && two.isTruncated)
    }

    // MARK: Several copies, warnings

    @Test func theHighestSequenceOfTheSameEventWins() throws {
        let old = Fixtures.event("UID:dup", "SEQUENCE:1", "DTSTART:20260317T090000Z", "DTEND:20260317T100000Z")
        let new = Fixtures.event("UID:dup", "SEQUENCE:2", "DTSTART:20260317T140000Z", "DTEND:20260317T150000Z")
        for order in [[old, new], [new, old]] {
            let busy = try Self.busy([Fixtures.calendar(order[0]), Fixtures.calendar(order[1])], window: Self.march)
            #expect(Self.spans(busy) == ["2026-03-17T14:00:00.000Z/2026-03-17T15:00:00.000Z"])
            #expect(busy.warnings.map(\.kind) == [.duplicateEvent])
        }
    }

    @Test func eventsWithoutUIDAreNotMergedWithEachOther() throws {
        let first = "BEGIN:VEVENT\r\nDTSTART:20260317T090000Z\r\nDTEND:20260317T100000Z\r\nEND:VEVENT"
        let second = "BEGIN:VEVENT\r\nDTSTART:20260318T090000Z\r\nDTEND:20260318T100000Z\r\nEND:VEVENT"
        let busy = try Self.busy(first, second)
        #expect(busy.occurrences.count == 2)
        #expect(busy.warnings.map(\.kind) == [.unreadableProperty, .unreadableProperty])
    }

    @Test func theReadersWarningsComeThrough() throws {
        let busy = try Self.busy(
            Fixtures.event("UID:tz", "DTSTART;TZID=Mars/Olympus_Mons:20260317T100000", "DTEND;TZID=Mars/Olympus_Mons:20260317T110000"),
            Fixtures.event("UID:no-start", "SUMMARY:x"))
        // Read on Berlin's clock, the default zone.
        #expect(Self.spans(busy) == ["2026-03-17T09:00:00.000Z/2026-03-17T10:00:00.000Z"])
        #expect(Set(busy.warnings.map(\.kind)) == [.unknownTimeZone, .skippedEvent])
    }

    @Test func documentsReadOnceCanBeUsedAgain() throws {
        let document = try CalendarReader.read(Fixtures.calendar(Self.weekly), defaultZone: Fixtures.berlin)
        let first = BusyTime(documents: [document], window: Self.march)
        let later = BusyTime(documents: [document], window: Fixtures.window("2026-10-19T00:00:00Z", "2026-10-27T00:00:00Z"))
        #expect(first.occurrences.count == 4 && later.occurrences.count == 2)
    }
}
