import Foundation

/// When a failed delivery is tried again: exponential backoff with jitter, never sooner than a
/// server's `Retry-After`, until the give-up age, after which it is a dead letter.
public struct RetryPolicy: Sendable, Equatable {
    public var initialDelay: TimeInterval
    public var maximumDelay: TimeInterval
    /// Measured from the first attempt.
    public var giveUpAfter: TimeInterval
    /// The fraction of each delay that is random, so many deliveries failing together (a mail
    /// server restart) do not all come back in the same second.
    public var jitter: Double

    public init(initialDelay: TimeInterval = 10, maximumDelay: TimeInterval = 1800, giveUpAfter: TimeInterval = 86_400, jitter: Double = 0.2) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.giveUpAfter = giveUpAfter
        self.jitter = jitter
    }

    /// The time of the next attempt after `attempts` failed ones, or nil to give up.
    /// `random` is in 0..<1 (injected, so tests are deterministic).
    public func nextAttempt(afterAttempts attempts: Int, firstAttemptAt: Date, now: Date, retryAfter: TimeInterval? = nil, random: Double) -> Date? {
        let exponent = Double(max(attempts - 1, 0))
        let base = min(initialDelay * pow(2, min(exponent, 40)), maximumDelay)
        var delay = base * (1 - jitter + 2 * jitter * min(max(random, 0), 1))
        if let retryAfter { delay = max(delay, retryAfter) }
        let next = now.addingTimeInterval(delay)
        return next.timeIntervalSince(firstAttemptAt) > giveUpAfter ? nil : next
    }
}
