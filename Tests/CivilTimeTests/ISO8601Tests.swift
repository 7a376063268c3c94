import CivilTime
import Foundation
import Testing

@Suite("ISO 8601: the one text form of instants")
struct ISO8601Tests {
    let start = Date(timeIntervalSince1970: 1_772_431_200)  // 2026-03-02T06:00:00Z

    func zone(_ identifier: String) -> TimeZone { TimeZone(identifier: identifier)! }

    @Test func instantsAreUTCWithMilliseconds() {
        #expect(ISO8601.instant(start) == "2026-03-02T06:00:00.000Z")
        #expect(ISO8601.instant(start.addingTimeInterval(0.25)) == "2026-03-02T06:00:00.250Z")
        #expect(ISO8601.instant(start.addingTimeInterval(0.0006)) == "2026-03-02T06:00:00.001Z")
        #expect(ISO8601.instant(start.addingTimeInterval(-0.0004)) == "2026-03-02T06:00:00.000Z")
        #expect(ISO8601.instant(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test func wallClockTimesCarryTheirOffset() {
        #expect(ISO8601.local(start, in: zone("Europe/Moscow")) == "2026-03-02T09:00:00+03:00")
        #expect(ISO8601.local(start, in: zone("America/New_York")) == "2026-03-02T01:00:00-05:00")
        #expect(ISO8601.local(start, in: zone("Asia/Kolkata")) == "2026-03-02T11:30:00+05:30")
        #expect(ISO8601.local(start, in: zone("UTC")) == "2026-03-02T06:00:00+00:00")
    }

    @Test(arguments: [
        "2026-03-02T06:00:00Z", "2026-03-02T06:00:00.000Z", "2026-03-02T09:00:00+03:00", "2026-03-02T09:00:00+0300",
        "2026-03-02t06:00:00z", "2026-03-02T01:00:00-05:00", "2026-03-02T06:00:00.000000000Z", "2026-03-02T06:00:00.0Z",
        "2026-03-02T06:00:00.0000000009999Z", "2026-03-02T05:59:60Z", "2026-03-02T08:59:60+0300", "2026-03-02T06:00:00-00:00",
    ])
    func rfc3339FormsAreRead(text: String) {
        #expect(ISO8601.parseInstant(text) == start)
    }

    @Test(arguments: [
        "2026-03-02T06:00:00", "2026-03-02T25:00:00Z", "2026-03-02T06:00:00.Z", "2026-02-30T06:00:00Z",
        "2026-03-02 06:00:00Z", "2026-03-02T06:00:00+3:00", "2026-03-02T06:00:60Z", "2026-03-02T06:00:00+03", "2026-03-02T06:00:00+03:0",
        "2026-13-02T06:00:00Z", "", "2026-03-02T06:00:00Z ",
    ])
    func anythingLooserIsRefused(text: String) {
        #expect(ISO8601.parseInstant(text) == nil)
    }

    @Test func aFractionOfAnyLengthKeepsItsFirstNineDigits() {
        let read = ISO8601.parseInstant("2026-03-02T06:00:00.1234567891234Z")
        #expect(read.map { abs($0.timeIntervalSince(start) - 0.123456789) < 1e-6 } == true)
        #expect(ISO8601.parseInstant("2026-03-02T06:00:00.5Z") == start.addingTimeInterval(0.5))
    }

    @Test func whatIsWrittenReadsBackTheSame() {
        for offset in stride(from: -1_000_000.0, through: 1_000_000.0, by: 12_345.678) {
            let instant = start.addingTimeInterval(offset)
            let text = ISO8601.instant(instant)
            #expect(ISO8601.parseInstant(text).map(ISO8601.instant) == text)
        }
    }
}
