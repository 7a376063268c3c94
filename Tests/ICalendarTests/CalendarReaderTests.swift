import CivilTime
import Foundation
import Testing
@testable import ICalendar

/// Reading VEVENTs: their properties, times on the right clock, defaults and warnings.
@Suite struct CalendarReaderTests {
    typealias Fixtures = ICalendarFixtures

    @Test func anEventAsGoogleWritesIt() throws {
        let text = Fixtures.calendar(
            "X-WR-CALNAME:Work",
            "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:STANDARD", "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
            "END:STANDARD", "END:VTIMEZONE",
            Fixtures.event(
                "UID:7kukuqrfedlm2f9t@google.com", "DTSTART;TZID=Europe/Berlin:20260301T100000", "DTEND;TZID=Europe/Berlin:20260301T113000",
                "RRULE:FREQ=WEEKLY;BYDAY=SU;UNTIL=20260531T075959Z", "EXDATE;TZID=Europe/Berlin:20260308T100000,20260315T100000",
                "EXDATE;VALUE=DATE:20260322", "RDATE;TZID=Europe/Berlin:20260304T100000", "SEQUENCE:3", "STATUS:CONFIRMED", "TRANSP:OPAQUE",
                "SUMMARY:Планёрка\\, отдел продаж\\; 2 этаж\\nвторая строка",
                "ATTENDEE;CN=Anna;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:anna@example.com",
                "ATTENDEE;PARTSTAT=DECLINED:mailto:Irina@Example.com", "ATTENDEE;CUTYPE=ROOM:mailto:room@example.com",
                "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT10M", "DURATION:PT5M", "END:VALARM"))
        let document = try Fixtures.read(text)
        #expect(document.warnings.isEmpty)
        let event = try #require(document.events.first)
        #expect(document.events.count == 1)
        #expect(event.uid == "7kukuqrfedlm2f9t@google.com")
        #expect(event.start.instant == Fixtures.instant("2026-03-01T09:00:00Z"))
        #expect(event.start.zone.identifier == "Europe/Berlin" && !event.isAllDay)
        #expect(event.end == Fixtures.instant("2026-03-01T10:30:00Z"))
        #expect(event.duration == EventDuration(seconds: 5400))
        #expect(event.recurrenceRules == [try RecurrenceRule(parsing: "FREQ=WEEKLY;BYDAY=SU;UNTIL=20260531T075959Z")])
        #expect(event.exceptionDates.map { ISO8601.instant($0.instant) } == [
            "2026-03-08T09:00:00.000Z", "2026-03-15T09:00:00.000Z", "2026-03-21T21:00:00.000Z",
        ])
        #expect(event.exceptionDates.map(\.isDate) == [false, false, true])
        #expect(event.recurrenceDates.map { ISO8601.instant($0.start.instant) } == ["2026-03-04T09:00:00.000Z"])
        #expect(event.sequence == 3 && event.status == .confirmed && event.transparency == .opaque)
        #expect(event.summary == "Планёрка, отдел продаж; 2 этаж\nвторая строка")
        #expect(event.attendees == [
            Attendee(address: "mailto:anna@example.com", participation: .accepted),
            Attendee(address: "mailto:Irina@Example.com", participation: .declined),
            Attendee(address: "mailto:room@example.com", participation: .needsAction),
        ])
        #expect(event.attendees[1].emailAddress == "irina@example.com")
        #expect(event.recurrenceID == nil && event.isRecurring && event.line == 13 && event.warnings.isEmpty)
    }

    @Test func timesAreReadOnTheRightClock() throws {
        let moscow = Fixtures.moscow
        func start(_ line: String) throws -> EventTime {
            try Fixtures.onlyEvent(Fixtures.calendar(Fixtures.event(line)), defaultZone: moscow).start
        }
        // UTC, a TZID, a floating time and a DATE (these two on the default zone's clock).
        #expect(try start("DTSTART:20260301T100000Z").instant == Fixtures.instant("2026-03-01T10:00:00Z"))
        #expect(try start("DTSTART;TZID=America/New_York:20260301T100000").instant == Fixtures.instant("2026-03-01T15:00:00Z"))
        #expect(try start("DTSTART;TZID=\"Europe/Berlin\":20260301T100000").instant == Fixtures.instant("2026-03-01T09:00:00Z"))
        #expect(try start("DTSTART:20260301T100000").instant == Fixtures.instant("2026-03-01T07:00:00Z"))
        let day = try start("DTSTART;VALUE=DATE:20260301")
        #expect(day.isDate && day.date == LocalDate(year: 2026, month: 3, day: 1) && day.instant == Fixtures.instant("2026-02-28T21:00:00Z"))
        // A TZID beside Z is ignored: the time is UTC.
        #expect(try start("DTSTART;TZID=Europe/Berlin:20260301T100000Z").instant == Fixtures.instant("2026-03-01T10:00:00Z"))
    }

    @Test(arguments: [
        ("/Europe/Berlin", "2026-03-01T09:00:00Z"),
        ("/mozilla.org/20050126_1/Europe/Berlin", "2026-03-01T09:00:00Z"),
        ("Russian Standard Time", "2026-03-01T07:00:00Z"),
        ("W. Europe Standard Time", "2026-03-01T09:00:00Z"),
        ("Pacific Standard Time", "2026-03-01T18:00:00Z"),
        ("Eastern Standard Time", "2026-03-01T15:00:00Z"),
        ("GMT Standard Time", "2026-03-01T10:00:00Z"),
        ("UTC", "2026-03-01T10:00:00Z"),
        ("Etc/UTC", "2026-03-01T10:00:00Z"),
    ])
    func zoneNamesOtherThanIANAs(tzid: String, instant: String) throws {
        let event = try Fixtures.onlyEvent(Fixtures.calendar(Fixtures.event("DTSTART;TZID=\"\(tzid)\":20260301T100000")), defaultZone: Fixtures.utc)
        #expect(event.start.instant == Fixtures.instant(instant))
        #expect(event.warnings.isEmpty)
    }

    @Test func everyWindowsNameInTheTableIsAZoneHere() {
        for (name, identifier) in TimeZoneNames.windowsNames {
            #expect(TimeZone(identifier: identifier) != nil, "\(name) → \(identifier)")
        }
    }

    @Test func anUnknownTZIDReadsOnTheDefaultZonesClockWithAWarning() throws {
        let text = Fixtures.calendar(
            Fixtures.event("UID:a", "DTSTART;TZID=Customized Time Zone:20260301T100000", "DTEND;TZID=Customized Time Zone:20260301T110000"),
            Fixtures.event("UID:b", "DTSTART;TZID=Customized Time Zone:20260302T100000"))
        let events = try Fixtures.read(text, defaultZone: Fixtures.moscow).events
        #expect(events.map { $0.start.instant } == [Fixtures.instant("2026-03-01T07:00:00Z"), Fixtures.instant("2026-03-02T07:00:00Z")])
        #expect(events[0].end == Fixtures.instant("2026-03-01T08:00:00Z"))
        for event in events {
            #expect(event.warnings.count == 1, "one warning per event, however many times it uses the name")
            #expect(event.warnings.first?.kind == .unknownTimeZone)
            #expect(event.warnings.first?.uid == event.uid)
            #expect(event.warnings.first?.message.contains("Customized Time Zone") == true)
        }
        #expect(events[0].warnings.first?.line == 7)
    }

    @Test func aVTIMEZONEsLocationNamesAZoneItsTZIDDoesNot() throws {
        let text = Fixtures.calendar(
            "BEGIN:VTIMEZONE", "TZID:Mitteleuropäische Zeit", "X-LIC-LOCATION:Europe/Berlin", "END:VTIMEZONE",
            Fixtures.event("DTSTART;TZID=Mitteleuropäische Zeit:20260301T100000"))
        let event = try Fixtures.onlyEvent(text)
        #expect(event.start.instant == Fixtures.instant("2026-03-01T09:00:00Z"))
        #expect(event.warnings.isEmpty)
    }

    @Test func lengthsFromDTENDDurationOrTheDefaults() throws {
        func event(_ lines: String...) throws -> ImportedEvent {
            try Fixtures.onlyEvent(Fixtures.calendar(lines.joined(separator: "\r\n")), defaultZone: Fixtures.berlin)
        }
        func wrapped(_ lines: String...) -> String { (["BEGIN:VEVENT", "UID:x"] + lines + ["END:VEVENT"]).joined(separator: "\r\n") }
        // RFC 5545 §3.6.1: a DATE alone takes its day, a DATE-TIME alone no time.
        let day = try event(wrapped("DTSTART;VALUE=DATE:20260301"))
        #expect(day.duration == EventDuration(days: 1) && day.end == Fixtures.instant("2026-03-01T23:00:00Z"))
        let instant = try event(wrapped("DTSTART:20260301T100000Z"))
        #expect(instant.duration == .zero && instant.end == instant.start.instant)
        let days = try event(wrapped("DTSTART;VALUE=DATE:20260301", "DTEND;VALUE=DATE:20260304"))
        #expect(days.duration == EventDuration(days: 3))
        #expect(try event(wrapped("DTSTART:20260301T100000Z", "DURATION:PT1H30M")).end == Fixtures.instant("2026-03-01T11:30:00Z"))
        #expect(try event(wrapped("DTSTART:20260301T100000Z", "DURATION:P1W")).end == Fixtures.instant("2026-03-08T10:00:00Z"))
        // A day of DURATION is a day on the wall clock: 23 hours across the spring change, then the 2 hours.
        let nominal = try event(wrapped("DTSTART;TZID=Europe/Berlin:20260328T100000", "DURATION:P1DT2H"))
        #expect(nominal.end == Fixtures.instant("2026-03-29T10:00:00Z"))
        // DTEND in another zone than DTSTART: the exact time between them.
        let mixed = try event(wrapped("DTSTART;TZID=Europe/Berlin:20260301T100000", "DTEND:20260301T100000Z"))
        #expect(mixed.duration == EventDuration(seconds: 3600))
    }

    @Test func anEventEndingBeforeItStartsTakesNoTimeWithAWarning() throws {
        let backwards = try Fixtures.onlyEvent(Fixtures.calendar(Fixtures.event("DTSTART:20260301T100000Z", "DTEND:20260301T090000Z")))
        #expect(backwards.duration == .zero)
        #expect(backwards.warnings.map(\.kind) == [.unreadableProperty])
        let negative = try Fixtures.onlyEvent(Fixtures.calendar(Fixtures.event("DTSTART:20260301T100000Z", "DURATION:-PT1H")))
        #expect(negative.duration == .zero && negative.warnings.count == 1)
    }

    @Test func bothDTENDAndDurationUseDTEND() throws {
        let event = try Fixtures.onlyEvent(Fixtures.calendar(Fixtures.event("DTSTART:20260301T100000Z", "DURATION:PT5H", "DTEND:20260301T110000Z")))
        #expect(event.end == Fixtures.instant("2026-03-01T11:00:00Z"))
        #expect(event.warnings.count == 1)
    }

    @Test func overridesTheirRangeAndRecurrenceDatesAsPeriods() throws {
        let text = Fixtures.calendar(
            Fixtures.event("RECURRENCE-ID;TZID=Europe/Berlin:20260308T100000", "DTSTART;TZID=Europe/Berlin:20260308T120000"),
            Fixtures.event("RECURRENCE-ID;RANGE=THISANDFUTURE:20260315T090000Z", "DTSTART:20260315T090000Z"),
            Fixtures.event("DTSTART:20260301T090000Z", "DTEND:20260301T100000Z",
                           "RDATE;VALUE=PERIOD:20260302T090000Z/20260302T120000Z,20260303T090000Z/PT30M", "RDATE;VALUE=DATE:20260304,20260305"))
        let events = try Fixtures.read(text).events
        #expect(events[0].recurrenceID?.instant == Fixtures.instant("2026-03-08T09:00:00Z"))
        #expect(events[0].recurrenceRange == .thisInstance)
        #expect(events[1].recurrenceRange == .thisAndFuture)
        #expect(events[2].recurrenceDates == [
            RecurrenceDate(start: EventTime(date: LocalDate(year: 2026, month: 3, day: 2), secondsIntoDay: 9 * 3600, in: .gmt),
                           duration: EventDuration(seconds: 3 * 3600)),
            RecurrenceDate(start: EventTime(date: LocalDate(year: 2026, month: 3, day: 3), secondsIntoDay: 9 * 3600, in: .gmt),
                           duration: EventDuration(seconds: 1800)),
            RecurrenceDate(start: EventTime(date: LocalDate(year: 2026, month: 3, day: 4), in: Fixtures.moscow)),
            RecurrenceDate(start: EventTime(date: LocalDate(year: 2026, month: 3, day: 5), in: Fixtures.moscow)),
        ])
    }

    @Test func statusTransparencyAndSequenceAndTheirDefaults() throws {
        func event(_ lines: String...) throws -> ImportedEvent {
            try Fixtures.onlyEvent(Fixtures.calendar(Fixtures.event(["DTSTART:20260301T100000Z"] + lines)))
        }
        let plain = try event()
        #expect(plain.status == nil && plain.transparency == .opaque && plain.sequence == 0 && plain.summary == nil && plain.warnings.isEmpty)
        #expect(try event("STATUS:tentative").status == .tentative)
        #expect(try event("STATUS:CANCELLED").status == .cancelled)
        #expect(try event("STATUS:CANCELED").status == .cancelled)
        #expect(try event("TRANSP:TRANSPARENT").transparency == .transparent)
        #expect(try event("SEQUENCE:12").sequence == 12)
        let odd = try event("STATUS:MAYBE", "TRANSP:SOMETIMES", "SEQUENCE:many")
        #expect(odd.status == nil && odd.transparency == .opaque && odd.sequence == 0)
        #expect(odd.warnings.map(\.kind) == [.unreadableProperty, .unreadableProperty, .unreadableProperty])
        let twice = try event("SUMMARY:first", "SUMMARY:second")
        #expect(twice.summary == "first" && twice.warnings.count == 1)
        #expect(try event("ATTENDEE;PARTSTAT=X-UNSURE:mailto:a@example.com").attendees.first?.participation == .other("X-UNSURE"))
    }

    @Test func otherComponentsAreSkippedAndSeveralCalendarsRead() throws {
        let text = Fixtures.calendar(
            "BEGIN:VTODO", "UID:todo", "DTSTART:20260301T100000Z", "END:VTODO",
            "BEGIN:VJOURNAL", "UID:journal", "DTSTART:20260301T100000Z", "END:VJOURNAL",
            "BEGIN:VFREEBUSY", "UID:fb", "FREEBUSY:20260301T100000Z/PT1H", "END:VFREEBUSY",
            Fixtures.event("UID:one", "DTSTART:20260301T100000Z"))
            + Fixtures.calendar(Fixtures.event("UID:two", "DTSTART:20260302T100000Z"))
        #expect(try Fixtures.read(text).events.map(\.uid) == ["one", "two"])
    }

    @Test func anEventWithoutDTSTARTIsLeftOutWithAWarning() throws {
        let document = try Fixtures.read(Fixtures.calendar(
            Fixtures.event("UID:no-start", "SUMMARY:x"),
            Fixtures.event("UID:kept", "DTSTART:20260301T100000Z")))
        #expect(document.events.map(\.uid) == ["kept"])
        #expect(document.warnings == [CalendarWarning(.skippedEvent, line: 4, uid: "no-start",
                                                      "a VEVENT without DTSTART cannot be placed in time and was left out")])
    }

    @Test func anEventWithoutUIDIsReadWithAWarning() throws {
        let event = try Fixtures.onlyEvent(Fixtures.calendar("BEGIN:VEVENT", "DTSTART:20260301T100000Z", "END:VEVENT"))
        #expect(event.uid.isEmpty && event.warnings.map(\.kind) == [.unreadableProperty])
    }

    @Test(arguments: [
        ("DTSTART:2026-03-01T10:00:00Z", ICalendarReadError.Kind.invalidValue, "DTSTART"),
        ("DTSTART:20260230T100000Z", .invalidValue, "DTSTART"),
        ("DTSTART:20260301T250000Z", .invalidValue, "DTSTART"),
        ("DTSTART:20260301T100000Q", .invalidValue, "DTSTART"),
        ("DTSTART:20260301T100000Z\r\nDTEND:tomorrow", .invalidValue, "DTEND"),
        ("DTSTART:20260301T100000Z\r\nDURATION:1H", .invalidValue, "DURATION"),
        ("DTSTART:20260301T100000Z\r\nDURATION:PT", .invalidValue, "DURATION"),
        ("DTSTART:20260301T100000Z\r\nDURATION:P1M", .invalidValue, "DURATION"),
        ("DTSTART:20260301T100000Z\r\nEXDATE:20260301T100000Z,never", .invalidValue, "EXDATE"),
        ("DTSTART:20260301T100000Z\r\nRDATE;VALUE=PERIOD:20260301T100000Z/-PT1H", .invalidValue, "RDATE"),
        ("DTSTART:20260301T100000Z\r\nRECURRENCE-ID:soon", .invalidValue, "RECURRENCE-ID"),
        ("DTSTART:20260301T100000Z\r\nRRULE:FREQ=DAILY;BYHOUR=25", .invalidRecurrenceRule, "BYHOUR"),
        ("DTSTART;VALUE=DATE:20260301\r\nRRULE:FREQ=HOURLY", .invalidRecurrenceRule, "HOURLY"),
    ])
    func unreadableValuesAreRejectedWithTheirLine(lines: String, kind: ICalendarReadError.Kind, property: String) throws {
        let text = Fixtures.calendar("BEGIN:VEVENT", "UID:x", lines, "END:VEVENT")
        let line = 6 + lines.components(separatedBy: "\r\n").count - 1
        #expect {
            try Fixtures.read(text)
        } throws: { error in
            guard let error = error as? ICalendarReadError else { return false }
            return error.kind == kind && error.line == line && error.message.contains(property)
        }
    }

    @Test func durationSyntax() {
        let cases: [(String, EventDuration?)] = [
            ("PT1H", EventDuration(seconds: 3600)), ("P15DT5H0M20S", EventDuration(days: 15, seconds: 5 * 3600 + 20)),
            ("P7W", EventDuration(days: 49)), ("+P1D", EventDuration(days: 1)), ("-PT15M", EventDuration(seconds: -900)),
            ("PT30S", EventDuration(seconds: 30)), ("P1W2D", EventDuration(days: 9)), ("pt1h", EventDuration(seconds: 3600)),
            ("P", nil), ("PT", nil), ("P1H", nil), ("PT1D", nil), ("P1M", nil), ("PT1H1H", nil), ("PT1S1M", nil),
            ("1H", nil), ("P1DT", nil), ("P9999999999D", nil), ("P-1D", nil), ("", nil),
        ]
        for (text, expected) in cases {
            #expect(ValueSyntax.duration(text[...]) == expected, "\(text)")
        }
    }
}
