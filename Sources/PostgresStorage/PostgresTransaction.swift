import PostgresNIO
import StoreSQL

/// A transaction (or, from `PostgresPool.withoutTransaction`, a run of statements each
/// committed on its own) on one connection, used only on the thread that owns it.
public final class PostgresTransaction: SQLTransaction {
    public var engine: SQLEngine { .postgresql }
    private let session: PostgresSession
    /// Savepoints are named by depth: a name is free again once its savepoint is released.
    private var savepointDepth = 0

    init(session: PostgresSession) {
        self.session = session
    }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> Int {
        try session.run(sql, arguments).metadata.rows ?? 0
    }

    public func rows(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> [SQLRow] {
        try PostgresValues.rows(session.run(sql, arguments).rows)
    }

    public func inSavepoint<Value>(_ body: () throws -> Value) throws -> Value {
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = "savepoint_\(savepointDepth)"
        try session.run("SAVEPOINT \(name)", [])
        let value: Value
        do {
            value = try body()
        } catch {
            // Undoes the part and clears the error state a failed statement left, so the
            // transaction goes on; if even that fails, the first error is what happened.
            _ = try? session.run("ROLLBACK TO SAVEPOINT \(name)", [])
            _ = try? session.run("RELEASE SAVEPOINT \(name)", [])
            throw error
        }
        try session.run("RELEASE SAVEPOINT \(name)", [])
        return value
    }
}
