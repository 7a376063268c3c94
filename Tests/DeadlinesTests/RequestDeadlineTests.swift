import Deadlines
import Foundation
import Synchronization
import Testing

/// A deadline is read against the system clock once, on arrival, and then counted down on a
/// monotonic clock (injected here): the system clock jumping either way afterwards moves nothing.
@Suite struct RequestDeadlineTests {
    let arrival = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z
    let monotonic = Elapsed()

    func deadline(in seconds: Double) -> RequestDeadline {
        let monotonic = self.monotonic
        return RequestDeadline(arrival.addingTimeInterval(seconds), arrival: arrival, monotonic: { monotonic.reading })
    }

    @Test func whatRemainsOnArrivalIsCountedDownOnTheMonotonicClock() {
        let deadline = deadline(in: 2)
        #expect(deadline.remaining == .seconds(2))
        monotonic.advance(.milliseconds(1500))
        #expect(deadline.remaining == .milliseconds(500))
        #expect(!deadline.hasPassed)
        monotonic.advance(.milliseconds(501))
        #expect(deadline.hasPassed)
        #expect(throws: DeadlinePassed(deadline: arrival.addingTimeInterval(2))) { try deadline.check() }
    }

    /// The system clock jumping an hour back while the request is handled (a request whose
    /// deadline instant is read against `Date()` at commit would gain that hour).
    @Test func aJumpBackAfterArrivalDoesNotExtendIt() {
        let deadline = deadline(in: 2)
        // Nothing the deadline reads is the system clock now; only real time passing counts.
        monotonic.advance(.milliseconds(2001))
        #expect(deadline.hasPassed)
        #expect(deadline.instant == arrival.addingTimeInterval(2), "the instant is kept as stamped, for messages")
    }

    /// The system clock jumping an hour forward while the request is handled (read against
    /// `Date()`, every request in flight would be refused).
    @Test func aJumpForwardAfterArrivalDoesNotEndIt() {
        let deadline = deadline(in: 2)
        monotonic.advance(.seconds(1))
        #expect(!deadline.hasPassed)
        #expect(deadline.remaining == .seconds(1))
    }

    @Test func aDeadlineAlreadyPastOnArrivalHasPassed() throws {
        let deadline = deadline(in: -0.5)
        #expect(deadline.hasPassed)
        #expect(deadline.remaining == .milliseconds(-500))
    }

    @Test func theDefaultMonotonicClockRuns() async throws {
        let deadline = RequestDeadline(Date().addingTimeInterval(60))
        let first = deadline.remaining
        try await Task.sleep(for: .milliseconds(20))
        #expect(deadline.remaining < first)
        #expect(deadline.remaining > .seconds(30))
    }
}

/// A monotonic clock's reading that a test advances by hand.
final class Elapsed: Sendable {
    private let value = Mutex(Duration.zero)

    var reading: Duration { value.withLock { $0 } }

    func advance(_ step: Duration) {
        value.withLock { $0 += step }
    }
}
