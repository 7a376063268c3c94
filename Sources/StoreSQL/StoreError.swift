/// What a store refuses or cannot do, in the store's own terms; each daemon's edge maps these
/// to its wire codes once.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file cannot be opened as this daemon's database (unreadable, not SQLite, or its
    /// schema cannot be brought forward).
    case cannotOpen(path: String, problem: String)
    /// A stored row does not make a valid value: the database was changed behind the daemon's back.
    case unreadableRow(table: String, key: String, problem: String)
    /// The transaction could not be made durable (disk full, I/O error): nothing of it was kept.
    case commitFailed(problem: String)
    /// A backup, its check or a restore could not be made; nothing was overwritten.
    case backupFailed(path: String, problem: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, problem): "cannot open the database \(path): \(problem)"
        case let .unreadableRow(table, key, problem): "the row \(key) of \(table) cannot be read: \(problem)"
        case let .commitFailed(problem): "the database could not commit: \(problem)"
        case let .backupFailed(path, problem): "backup \(path): \(problem)"
        }
    }
}
