import Foundation
import Testing
@testable import BookingDomain
import CivilTime

@Suite("Slot grids, the booking window and slot rules")
struct WorkCalendarTests {
    @Test func policyDefaults() {
        let policy = CalendarPolicy()
        #expect(policy.timeZone.identifier == "Europe/Moscow")
        #expect(policy.opens == LocalTime(hour: 9) && policy.closes == LocalTime(hour: 18))
        #expect(policy.slotLength == 1800 && policy.horizonDays == 14)
        #expect(policy.minimumNotice == 7200 && policy.preHolidayShortening == 3600)
        #expect(policy.shortenedCloses == LocalTime(hour: 17))
    }

    @Test func policyCodable() throws {
        let policy = CalendarPolicy(timeZone: zone("Asia/Yekaterinburg"), horizonDays: 21)
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(CalendarPolicy.self, from: data) == policy)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#""timeZone":"Asia\/Yekaterinburg""#) && json.contains(#""opens":"09:00""#))
    }

    @Test func normalDayHas18SlotsFrom9To18Moscow() throws {
        let grid = try Fixture.calendar().slotGrid(on: date("2026-03-02"))
        #expect(grid.count == 18)
        #expect(grid.first == range(msk("2026-03-02 09:00")))
        #expect(grid.last == range(msk("2026-03-02 17:30")))
        #expect(grid.first?.start == instant("2026-03-02T06:00:00Z"))
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0.end == $1.start })
    }

    @Test func shortenedDayHas16SlotsEndingAt17() throws {
        let grid = try Fixture.calendar().slotGrid(on: date("2026-04-30"))
        #expect(grid.count == 16)
        #expect(grid.first?.start == msk("2026-04-30 09:00"))
        #expect(grid.last?.end == msk("2026-04-30 17:00"))
    }

    @Test func workingSaturdays() throws {
        let calendar = try Fixture.calendar()
        for saturday in ["2025-11-01", "2027-02-20"] {
            let grid = calendar.slotGrid(on: date(saturday))
            #expect(grid.count == 16, "\(saturday)")
            #expect(grid.last?.end == msk("\(saturday) 17:00"))
        }
    }

    @Test func nonWorkingDaysHaveNoSlots() throws {
        let calendar = try Fixture.calendar()
        for day in ["2026-03-07", "2026-03-08", "2026-03-09", "2026-01-01", "2025-12-31"] {
            #expect(calendar.slotGrid(on: date(day)).isEmpty, "\(day)")
        }
    }

    @Test func blockedDays() throws {
        let calendar = try Fixture.calendar(blocked: [
            BlockedPeriod(from: date("2026-04-29"), through: date("2026-05-04"), reason: "team offsite"),
            BlockedPeriod(from: date("2026-04-30"), through: date("2026-04-30"), reason: "second block"),
            BlockedPeriod(from: date("2026-06-10"), through: date("2026-06-01"), reason: "reversed: covers nothing"),
        ])
        #expect(calendar.day(date("2026-04-29")) == CalendarDay(date: date("2026-04-29"), kind: .blocked, opens: nil, closes: nil, reason: "team offsite"))
        #expect(calendar.day(date("2026-04-30")).kind == .blocked)  // would be shortened; the first block's reason wins
        #expect(calendar.day(date("2026-04-30")).reason == "team offsite")
        #expect(calendar.day(date("2026-05-01")).kind == .holiday)  // blocking does not hide why a day is off
        #expect(calendar.day(date("2026-05-02")).kind == .weekend)
        #expect(calendar.day(date("2026-05-04")).kind == .blocked)
        #expect(calendar.day(date("2026-05-05")).kind == .working)
        #expect(calendar.day(date("2026-06-02")).kind == .working)
        #expect(calendar.slotGrid(on: date("2026-04-29")).isEmpty)
        #expect(calendar.days(from: date("2026-04-28"), through: date("2026-05-05")).map(\.kind) == [
            .working, .blocked, .blocked, .holiday, .weekend, .weekend, .blocked, .working,
        ])
        #expect(calendar.days(from: date("2026-05-05"), through: date("2026-05-04")).isEmpty)
        let blockedSaturday = try Fixture.calendar(blocked: [BlockedPeriod(from: date("2025-11-01"), through: date("2025-11-01"), reason: "moving")])
        #expect(blockedSaturday.day(date("2025-11-01")).kind == .blocked)
    }

    @Test func bookingWindow() throws {
        let calendar = try Fixture.calendar()
        let now = msk("2026-03-03 07:00")
        #expect(calendar.bookingWindow(now: now) == (try DateTimeRange(start: msk("2026-03-03 09:00"), end: msk("2026-03-17 00:00"))))
        // "Today" is Moscow's: 22:30 UTC on 2 March is already 3 March there.
        #expect(calendar.bookingWindow(now: instant("2026-03-02T22:30:00Z")).end == msk("2026-03-17 00:00"))
        #expect(calendar.bookingWindow(now: instant("2026-03-02T20:59:59Z")).end == msk("2026-03-16 00:00"))
        // A notice that reaches past a one-day horizon leaves a window that holds no slot.
        let tight = try Fixture.calendar(policy: CalendarPolicy(horizonDays: 1))
        let late = tight.bookingWindow(now: msk("2026-03-03 23:00"))
        #expect(late.start == msk("2026-03-04 01:00") && late.duration == 1)
    }

    @Test func windowEdges() throws {
        let calendar = try Fixture.calendar()
        // Exactly the minimum notice is enough; one second less is not.
        #expect(try calendar.check(start: msk("2026-03-03 09:00"), now: msk("2026-03-03 07:00")) == range(msk("2026-03-03 09:00")))
        let oneSecondLate = msk("2026-03-03 07:00").addingTimeInterval(1)
        #expect(throws: SlotRuleViolation.tooSoon(earliest: msk("2026-03-03 09:00").addingTimeInterval(1), zone: moscow)) {
            try calendar.check(start: msk("2026-03-03 09:00"), now: oneSecondLate)
        }
        // The horizon's last day is Monday 16 March: its last slot is in, Tuesday's first is out.
        let now = msk("2026-03-03 12:00")
        #expect(try calendar.check(start: msk("2026-03-16 17:30"), now: now) == range(msk("2026-03-16 17:30")))
        #expect(throws: SlotRuleViolation.beyondHorizon(latest: msk("2026-03-17 00:00"), zone: moscow)) {
            try calendar.check(start: msk("2026-03-17 09:00"), now: now)
        }
    }

    @Test func eachViolation() throws {
        let calendar = try Fixture.calendar(blocked: [BlockedPeriod(from: date("2026-03-12"), through: date("2026-03-12"), reason: "training")])
        let now = msk("2026-03-02 08:00")
        let cases: [(String, Date, SlotRuleViolation)] = [
            ("quarter past", msk("2026-03-03 10:15"), .offGrid),
            ("seconds", msk("2026-03-03 10:00").addingTimeInterval(30), .offGrid),
            ("fraction of a second", msk("2026-03-03 10:00").addingTimeInterval(0.5), .offGrid),
            ("past", msk("2026-02-27 10:00"), .inPast),
            ("past and outside hours", msk("2026-03-01 20:00"), .inPast),
            ("before opening", msk("2026-03-03 08:30"), .outsideWorkingHours(opens: LocalTime(hour: 9), closes: LocalTime(hour: 18), zone: moscow)),
            ("would end after closing", msk("2026-03-03 18:00"), .outsideWorkingHours(opens: LocalTime(hour: 9), closes: LocalTime(hour: 18), zone: moscow)),
            ("night", msk("2026-03-03 03:00"), .outsideWorkingHours(opens: LocalTime(hour: 9), closes: LocalTime(hour: 18), zone: moscow)),
            ("Saturday", msk("2026-03-07 10:00"), .nonWorkingDay(.weekend, reason: nil)),
            ("holiday", msk("2026-03-08 10:00"), .nonWorkingDay(.holiday, reason: "International Women's Day")),
            ("day off", msk("2026-03-09 10:00"), .nonWorkingDay(.dayOff, reason: "day off moved by the government decree")),
            ("blocked", msk("2026-03-12 10:00"), .nonWorkingDay(.blocked, reason: "training")),
            ("inside the notice", msk("2026-03-02 09:30"), .tooSoon(earliest: msk("2026-03-02 10:00"), zone: moscow)),
            ("beyond the horizon", msk("2026-03-16 09:00"), .beyondHorizon(latest: msk("2026-03-16 00:00"), zone: moscow)),
        ]
        for (label, start, violation) in cases {
            #expect(throws: violation, "\(label)") { try calendar.check(start: start, now: now) }
        }
        #expect(try calendar.check(start: msk("2026-03-02 10:00"), now: now) == range(msk("2026-03-02 10:00")))
        let shortened = try Fixture.calendar()
        // A shortened day's refusal names its shorter hours.
        #expect(throws: SlotRuleViolation.outsideWorkingHours(opens: LocalTime(hour: 9), closes: LocalTime(hour: 17), zone: moscow)) {
            try shortened.check(start: msk("2026-04-30 17:00"), now: msk("2026-04-27 09:00"))
        }
        #expect(try shortened.check(start: msk("2026-04-30 16:30"), now: msk("2026-04-27 09:00")).end == msk("2026-04-30 17:00"))
    }

    @Test func violationMessages() {
        let cases: [(SlotRuleViolation, String)] = [
            (.offGrid, "the time is not the start of a slot; slots start every 30 minutes from opening time"),
            (.inPast, "the time is in the past"),
            (.outsideWorkingHours(opens: LocalTime(hour: 9), closes: LocalTime(hour: 17), zone: moscow),
             "the slot is outside working hours; that day consultations are from 09:00 to 17:00 (Europe/Moscow)"),
            (.nonWorkingDay(.weekend, reason: nil), "the day is a weekend day; consultations are on working days only"),
            (.nonWorkingDay(.holiday, reason: "Russia Day"), "the day is a public holiday (Russia Day); consultations are on working days only"),
            (.nonWorkingDay(.dayOff, reason: "day off moved by the government decree"),
             "the day is a day off (day off moved by the government decree); consultations are on working days only"),
            (.nonWorkingDay(.blocked, reason: "training"), "the day is closed for bookings (training)"),
            (.tooSoon(earliest: msk("2026-03-02 10:00"), zone: moscow),
             "the slot starts too soon; the earliest bookable time is 2026-03-02T10:00:00+03:00 (Europe/Moscow)"),
            (.beyondHorizon(latest: msk("2026-03-16 00:00"), zone: moscow),
             "the slot is too far ahead; bookings are open only until 2026-03-16T00:00:00+03:00 (Europe/Moscow)"),
            (.unknownConsultant("zoe"), "there is no consultant \"zoe\""),
            (.consultantUnavailable("anna", nextFree: [msk("2026-03-03 10:30"), msk("2026-03-04 09:00")], zone: moscow),
             "consultant \"anna\" is not free at that time; the next free times are 2026-03-03T10:30:00+03:00, 2026-03-04T09:00:00+03:00 (Europe/Moscow), or choose any consultant"),
            (.noConsultantFree(nextFree: [msk("2026-03-03 10:30")], zone: moscow),
             "no consultant is free at that time; the next free times are 2026-03-03T10:30:00+03:00 (Europe/Moscow)"),
            (.noConsultantFree(nextFree: [], zone: moscow), "no consultant is free at that time; no later time is free within the booking horizon"),
        ]
        for (violation, message) in cases {
            #expect(violation.message == message)
            #expect(violation.description == message)
        }
    }

    @Test func aCalendarInAZoneWithDaylightSaving() {
        // The grid follows the calendar zone's wall clock on both sides of a change.
        let calendar = WorkCalendar(policy: CalendarPolicy(timeZone: zone("America/New_York")), production: ProductionCalendar())
        #expect(calendar.slotGrid(on: date("2026-03-06")).first?.start == instant("2026-03-06T14:00:00Z"))
        #expect(calendar.slotGrid(on: date("2026-03-09")).first?.start == instant("2026-03-09T13:00:00Z"))
        #expect(calendar.slotGrid(on: date("2026-03-09")).count == 18)
        #expect(throws: Never.self) { try calendar.check(start: instant("2026-03-09T13:00:00Z"), now: instant("2026-03-06T12:00:00Z")) }
        #expect(throws: SlotRuleViolation.outsideWorkingHours(opens: LocalTime(hour: 9), closes: LocalTime(hour: 18), zone: zone("America/New_York"))) {
            try calendar.check(start: instant("2026-03-09T12:30:00Z"), now: instant("2026-03-06T12:00:00Z"))
        }
    }
}
