import CivilTime
import Foundation

/// The moment after which the request being handled must not change anything. The request
/// server sets it for each request's task; every store write made for the request checks it just
/// before COMMIT and rolls back when it has passed, and calls to other daemons end before it, so a
/// change is never committed after its client gave up. Work outside a request (followers,
/// schedulers, housekeeping) has none and is not bounded.
///
/// Its client stamps it as an instant on the system clock (the wire format); on arrival, what
/// remains of it is read once against the system clock and then counted down on a monotonic one.
/// A jump of the host's clock while the request is handled therefore neither extends the deadline
/// (a jump back would otherwise let a change commit long after its client gave up) nor ends it
/// (a jump forward would otherwise refuse every request in flight). The monotonic clock is
/// `ContinuousClock`, which keeps counting while the host is suspended: a client's patience runs
/// out in real time, asleep or not.
public struct RequestDeadline: Sendable {
    /// The instant as its client stamped it: for messages only, never compared with a clock.
    public let instant: Date
    /// The reading of `monotonic` at which it passes.
    private let expiry: Duration
    private let monotonic: @Sendable () -> Duration

    /// `instant` is read against `arrival`, the system clock's time on arrival; after that only
    /// `monotonic` (a reading of a monotonic clock, `continuousTime` unless a test injects one) counts.
    public init(_ instant: Date, arrival: Date = Date(), monotonic: @escaping @Sendable () -> Duration = RequestDeadline.continuousTime) {
        self.instant = instant
        self.monotonic = monotonic
        expiry = monotonic() + .seconds(instant.timeIntervalSince(arrival))
    }

    /// Time elapsed on `ContinuousClock` since this process first read it.
    public static let continuousTime: @Sendable () -> Duration = { continuousOrigin.duration(to: .now) }
    private static let continuousOrigin = ContinuousClock.now

    /// What remains of it (negative once it has passed).
    public var remaining: Duration { expiry - monotonic() }

    public var hasPassed: Bool { remaining < .zero }

    /// Refuses the commit when the deadline has passed; called last inside a write transaction.
    public func check() throws(DeadlinePassed) {
        if hasPassed { throw DeadlinePassed(deadline: instant) }
    }

    @TaskLocal public static var current: RequestDeadline?

    /// Runs `body` with no deadline: undoing what a request committed in time is never refused.
    public static func lifted<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await $current.withValue(nil, operation: body)
    }
}

/// A change whose request's deadline passed before it was committed: it was rolled back.
public struct DeadlinePassed: Error, Sendable, Hashable, CustomStringConvertible {
    public var deadline: Date

    public init(deadline: Date) {
        self.deadline = deadline
    }

    public var description: String {
        "the request's deadline (\(ISO8601.instant(deadline))) passed before its change was committed; nothing was changed"
    }
}
