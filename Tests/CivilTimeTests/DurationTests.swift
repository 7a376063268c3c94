import CivilTime
import Foundation
import Testing

@Suite("Durations and milliseconds")
struct DurationTests {
    @Test func durationsPrintInSeconds() {
        #expect(Duration.seconds(10).secondsText == "10 s")
        #expect(Duration.milliseconds(1500).secondsText == "1.5 s")
        #expect(Duration.milliseconds(5).secondsText == "0.005 s")
        #expect(Duration.microseconds(999_700).secondsText == "1 s")
    }

    @Test func timeoutsRoundUpAndNeverOverflow() {
        #expect(Duration.milliseconds(1).timeoutMilliseconds == 1)
        #expect(Duration.microseconds(1).timeoutMilliseconds == 1)
        #expect(Duration.microseconds(1500).timeoutMilliseconds == 2)
        #expect(Duration.zero.timeoutMilliseconds == 0)
        #expect(Duration.seconds(30).timeoutMilliseconds == 30_000)
        #expect(Duration.seconds(-1).timeoutMilliseconds == -1)
        #expect(Duration.seconds(Int64.max / 2).timeoutMilliseconds == Int32.max)
    }

    @Test func fractionalSecondsAreNotTruncated() {
        #expect(Duration.seconds(fractional: 0.0015) == .microseconds(1500))
        #expect(Duration.seconds(fractional: 0.25).seconds == 0.25)
        #expect(Duration.milliseconds(250).milliseconds == 250)
        #expect(Duration.milliseconds(3).nanoseconds == 3_000_000)
    }

    @Test func instantsRoundTripThroughMilliseconds() {
        let instant = Date(timeIntervalSince1970: 1_796_000_000.1234)
        #expect(instant.millisecondsSince1970 == 1_796_000_000_123)
        #expect(Date(timeIntervalSince1970: 0.0009).millisecondsSince1970 == 1)
        #expect(Date(timeIntervalSince1970: -0.0004).millisecondsSince1970 == 0)
        #expect(Date(millisecondsSince1970: 1_796_000_000_123).millisecondsSince1970 == 1_796_000_000_123)
    }
}
