import Foundation
import GRDB

/// The instant after which the request being handled must not change anything: its deadline,
/// an instant on the system clock as its client stamped it. The request server sets it for each request's task; every store
/// write made for the request checks it just before COMMIT and rolls back when it has passed
/// (`StoreError.deadlinePassed`), so a change is never committed after its client gave up.
/// Work outside a request (followers, schedulers, housekeeping) has none and is not bounded.
public struct CommitDeadline: Sendable {
    public var instant: Date
    /// The clock against which `instant` is read: the system's (tests inject their own).
    public var now: @Sendable () -> Date

    public init(_ instant: Date, now: @escaping @Sendable () -> Date) {
        self.instant = instant
        self.now = now
    }

    public var hasPassed: Bool { now() > instant }

    /// Refuses the commit when the deadline has passed; called last inside a write transaction.
    public func check() throws(StoreError) {
        if hasPassed { throw .deadlinePassed(deadline: instant) }
    }

    @TaskLocal public static var current: CommitDeadline?

    /// Runs `body` with no deadline: undoing what a request committed in time is never refused.
    public static func lifted<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await $current.withValue(nil, operation: body)
    }
}

extension DatabaseWriter {
    /// A write transaction that is rolled back instead of committed when the current request's
    /// deadline (`CommitDeadline.current`) passed while it ran.
    public func writeBeforeDeadline<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let deadline = CommitDeadline.current
        return try await write { db in
            let value = try updates(db)
            try deadline?.check()
            return value
        }
    }
}
