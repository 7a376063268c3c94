import Foundation
import Testing
@testable import BookingDomain
import CivilTime

@Suite("LocalDate, LocalTime and DateTimeRange")
struct TimeValueTests {
    @Test("parses only real YYYY-MM-DD dates", arguments: [
        ("2026-03-02", true), ("2024-02-29", true), ("2026-02-29", false), ("2026-13-01", false),
        ("2026-00-10", false), ("2026-04-31", false), ("2026-3-1", false), ("26-03-01", false),
        ("2026/03/01", false), ("2026-03-01T00:00", false), ("", false), ("0000-01-01", false), ("9999-12-31", true),
    ])
    func parsing(text: String, valid: Bool) {
        #expect((LocalDate(text) != nil) == valid)
        if valid { #expect(LocalDate(text)?.description == text) }
    }

    @Test func weekdayAndArithmeticAgreeWithFoundationCalendar() {
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(secondsFromGMT: 0)!
        var day = date("1999-12-25")
        var reference = gregorian.date(from: DateComponents(year: 1999, month: 12, day: 25))!
        for _ in 0..<(366 * 40) {
            let parts = gregorian.dateComponents([.year, .month, .day, .weekday], from: reference)
            #expect(day.year == parts.year && day.month == parts.month && day.day == parts.day)
            // Foundation counts 1 = Sunday; ISO counts 1 = Monday.
            #expect(day.weekday == (parts.weekday! + 5) % 7 + 1)
            day = day.adding(days: 1)
            reference = gregorian.date(byAdding: .day, value: 1, to: reference)!
        }
    }

    @Test func addingAndCounting() {
        #expect(date("2026-12-31").adding(days: 1) == date("2027-01-01"))
        #expect(date("2024-02-28").adding(days: 1) == date("2024-02-29"))
        #expect(date("2026-03-01").adding(days: -1) == date("2026-02-28"))
        #expect(date("2026-01-01").days(until: date("2027-01-01")) == 365)
        #expect(date("2026-03-02").weekday == 1)
        #expect(date("2026-03-08").weekday == 7)
        #expect(date("2026-03-02") < date("2026-03-10"))
        #expect(date("2025-12-31") < date("2026-01-01"))
    }

    @Test func codableAsString() throws {
        let data = try JSONEncoder().encode([date("2026-03-02")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-03-02"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: data) == [date("2026-03-02")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([LocalDate].self, from: Data(#"["2026-02-30"]"#.utf8)) }
    }

    @Test func dayStartsAndLengthsAcrossDaylightSaving() {
        #expect(date("2026-03-02").start(in: moscow) == instant("2026-03-01T21:00:00.000Z"))
        let newYork = zone("America/New_York"), berlin = zone("Europe/Berlin")
        // The spring-forward day has 23 hours, the fall-back day 25.
        #expect(date("2026-03-09").start(in: newYork).timeIntervalSince(date("2026-03-08").start(in: newYork)) == 23 * 3600)
        #expect(date("2026-10-26").start(in: berlin).timeIntervalSince(date("2026-10-25").start(in: berlin)) == 25 * 3600)
        #expect(date("2026-03-08").start(in: newYork) == instant("2026-03-08T05:00:00.000Z"))
        #expect(date("2026-03-09").start(in: newYork) == instant("2026-03-09T04:00:00.000Z"))
        // A wall time skipped by the change moves forward; a repeated one is its first occurrence.
        #expect(date("2026-03-08").instant(at: LocalTime(hour: 2, minute: 30), in: newYork) == instant("2026-03-08T03:30:00-04:00"))
        #expect(date("2026-10-25").instant(at: LocalTime(hour: 2, minute: 30), in: berlin) == instant("2026-10-25T02:30:00+02:00"))
        // A zone whose midnight is skipped starts the day at 01:00 (Chile, first Sunday of September 2026).
        let santiago = zone("America/Santiago")
        #expect(date("2026-09-06").start(in: santiago) == instant("2026-09-06T01:00:00-03:00"))
    }

    @Test func containingReadsTheZonesClock() {
        let utcEvening = instant("2026-03-02T22:30:00.000Z")
        #expect(LocalDate.containing(utcEvening, in: moscow) == date("2026-03-03"))
        #expect(LocalDate.containing(utcEvening, in: TimeZone(secondsFromGMT: 0)!) == date("2026-03-02"))
        #expect(LocalDate.containing(instant("2026-03-03T04:59:59.000Z"), in: zone("America/New_York")) == date("2026-03-02"))
        #expect(LocalDate.containing(instant("1969-12-31T23:59:59.000Z"), in: TimeZone(secondsFromGMT: 0)!) == date("1969-12-31"))
    }

    @Test func localTime() throws {
        #expect(LocalTime("09:00") == LocalTime(hour: 9))
        #expect(LocalTime(hour: 17, minute: 5).description == "17:05")
        #expect(LocalTime("24:00") == nil)
        #expect(LocalTime("9:00") == nil)
        #expect(LocalTime("12:60") == nil)
        #expect(LocalTime(hour: 9) < LocalTime(hour: 9, minute: 30))
        let data = try JSONEncoder().encode([LocalTime(hour: 18)])
        #expect(String(decoding: data, as: UTF8.self) == #"["18:00"]"#)
        #expect(try JSONDecoder().decode([LocalTime].self, from: data) == [LocalTime(hour: 18)])
    }

    @Test func rangeRules() throws {
        let start = msk("2026-03-02 09:00")
        #expect(throws: RangeError.endNotAfterStart(start: start, end: start)) { try DateTimeRange(start: start, end: start) }
        do {
            _ = try DateTimeRange(start: start, end: start.addingTimeInterval(-60))
        } catch {
            #expect(error.message == "a time range must end after it starts (start 2026-03-02T06:00:00.000Z, end 2026-03-02T05:59:00.000Z)")
        }
        let nine = range(start), nineThirty = range(start.addingTimeInterval(1800)), hour = range(start, minutes: 60)
        #expect(nine.duration == 1800)
        #expect(!nine.overlaps(nineThirty) && !nineThirty.overlaps(nine))
        #expect(hour.overlaps(nine) && hour.overlaps(nineThirty) && nine.overlaps(hour))
        #expect(hour.contains(nineThirty) && !nine.contains(hour))
        #expect(nine.contains(start) && !nine.contains(nine.end))
        #expect(nine.description == "2026-03-02T06:00:00.000Z/2026-03-02T06:30:00.000Z")
    }

    @Test func rangeCodableAsISOText() throws {
        let nine = range(msk("2026-03-02 09:00"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .secondsSince1970  // ignored on purpose
        let json = String(decoding: try encoder.encode(nine), as: UTF8.self)
        #expect(json == #"{"end":"2026-03-02T06:30:00.000Z","start":"2026-03-02T06:00:00.000Z"}"#)
        let withOffset = #"{"start":"2026-03-02T09:00:00+03:00","end":"2026-03-02T09:30:00+03:00"}"#
        #expect(try JSONDecoder().decode(DateTimeRange.self, from: Data(withOffset.utf8)) == nine)
        let reversed = #"{"start":"2026-03-02T09:30:00+03:00","end":"2026-03-02T09:00:00+03:00"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DateTimeRange.self, from: Data(reversed.utf8)) }
    }
}
