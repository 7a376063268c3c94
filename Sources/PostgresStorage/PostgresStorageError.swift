import StoreSQL

/// What goes wrong around the statements rather than in them: settings, and a transaction
/// that kept failing. A statement's own failure is an `SQLFailure`.
public enum PostgresStorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The connection URL cannot be used; nothing was connected.
    case badURL(url: String, problem: String)
    case unreadablePasswordFile(path: String)
    /// The transaction failed as retryable each time it was tried (deadlocks, serialisation
    /// failures); nothing of it was kept. `last` is the last attempt's failure.
    case retriesExhausted(attempts: Int, last: SQLFailure)
    /// The database's schema is newer than this program's migrations: an older program must
    /// not write to it.
    case schemaNewerThanProgram(store: String, databaseVersion: Int64, programVersion: Int64)

    public var description: String {
        switch self {
        case let .badURL(url, problem): "the PostgreSQL URL \(url) cannot be used: \(problem)"
        case let .unreadablePasswordFile(path): "the PostgreSQL password file \(path) cannot be read (or is not UTF-8)"
        case let .retriesExhausted(attempts, last): "the transaction failed \(attempts) times in a row; the last: \(last)"
        case let .schemaNewerThanProgram(store, databaseVersion, programVersion):
            "the \(store) schema in the database is at version \(databaseVersion), newer than this program's \(programVersion): run the newer program"
        }
    }
}
