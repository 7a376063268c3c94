import Deadlines
import GRDB

extension DatabaseWriter {
    /// A write transaction that is rolled back instead of committed when the current request's
    /// deadline (`RequestDeadline.current`) passed while it ran: it throws `DeadlinePassed`.
    public func writeBeforeDeadline<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let deadline = RequestDeadline.current
        return try await write { db in
            let value = try updates(db)
            try deadline?.check()
            return value
        }
    }
}
