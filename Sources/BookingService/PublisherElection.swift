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
