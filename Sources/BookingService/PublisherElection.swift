import Logging
import NIOConcurrencyHelpers
import PostgresStorage

/// Which bookingd instance publishes the outbox: one at a time, so subscribers get the events
/// in commit order from one place. The others keep their PUB bound and send nothing until they
/// win; the winner starts from the store's `publishedThrough()`, so an event may go out twice
/// around a handover (subscribers drop what they already have), and none is skipped.
public protocol PublisherElection: Sendable {
    /// Whether this instance may publish now; one that does not hold the election tries to win
    /// it. Asked before every drain, so a holder that lost it stops within one poll.
    func holds() async -> Bool
    /// Gives the election up (at shutdown), so another instance wins it at its next poll.
    func resign() async
}

/// SQLite: one process writes the file, so its one instance is always elected.
public struct SoleWriterElection: PublisherElection {
    public init() {}
    public func holds() async -> Bool { true }
    public func resign() async {}
}

/// PostgreSQL: several instances share the database, and the publisher is whichever holds an
/// advisory lock on a session of its own. The lock is asked about at most once a second (a
/// drain follows every commit, and a round trip on each would cost more than the drain): an
/// instance that lost it may publish for up to a second more, which subscribers absorb, since
/// both read the same committed events.
public final class AdvisoryLockElection: PublisherElection {
    /// "bookingd" in ASCII: one key per database, the same in every instance.
    public static let key: Int64 = 0x626F_6F6B_696E_6764
    private let lock: PostgresAdvisoryLock
    private let recheckEvery: Duration
    private let lastCheck = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    public init(settings: PostgresSettings, recheckEvery: Duration = .seconds(1), logger: Logger) {
        lock = PostgresAdvisoryLock(settings: settings, key: Self.key, logger: logger)
        self.recheckEvery = recheckEvery
    }

    public func holds() async -> Bool {
        let now = ContinuousClock.now
        if let last = lastCheck.withLockedValue({ $0 }), now - last < recheckEvery { return lock.isHeld }
        lastCheck.withLockedValue { $0 = now }
        return await lock.check()
    }

    public func resign() async {
        await lock.release()
    }
}
