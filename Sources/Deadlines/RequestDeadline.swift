import CivilTime
import Foundation

/// The instant after which the request being handled must not change anything: its deadline,
/// an instant on the system clock as its client stamped it. The request server sets it for each
/// request's task; every store write made for the request checks it just before COMMIT and
/// rolls back when it has passed, and calls to other daemons end before it, so a change is
/// never committed after its client gave up. Work outside a request (followers, schedulers,
/// housekeeping) has none and is not bounded.
public struct RequestDeadline: Sendable {
    public var instant: Date
    /// The clock against which `instant` is read: the system's (tests inject their own).
    public var now: @Sendable () -> Date

    public init(_ instant: Date, now: @escaping @Sendable () -> Date) {
        self.instant = instant
        self.now = now
    }

    public var hasPassed: Bool { now() > instant }

    /// What remains of it (negative once it has passed).
    public var remaining: Duration { .seconds(instant.timeIntervalSince(now())) }

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
