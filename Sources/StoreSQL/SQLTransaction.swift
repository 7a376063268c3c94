/// Which engine runs a transaction: for the few statements that must differ (the schema, and
/// what one engine has and the other lacks). Everything else is written once, in the SQL both
/// engines share, with `?` for each argument.
public enum SQLEngine: String, Sendable, Hashable {
    case sqlite
    case postgresql
}

/// A transaction on one connection, driven by the thread that owns that connection: the stores'
/// code runs its statements through this and never sees the engine's own types. A statement
/// that fails throws `SQLFailure`.
public protocol SQLTransaction {
    var engine: SQLEngine { get }

    /// Runs a statement that returns no rows; the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> Int

    /// Runs a statement and returns its rows.
    func rows(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> [SQLRow]

    /// Runs `body` inside a savepoint: what it did is undone if it throws, and the transaction
    /// goes on. A change that the rules refuse undoes itself and nothing else.
    func inSavepoint<Value>(_ body: () throws -> Value) throws -> Value
}

extension SQLTransaction {
    @discardableResult
    public func execute(_ sql: String, _ arguments: SQLValueConvertible?...) throws(SQLFailure) -> Int {
        try execute(sql, arguments.map { $0?.sqlValue ?? .null })
    }

    public func rows(_ sql: String, _ arguments: SQLValueConvertible?...) throws(SQLFailure) -> [SQLRow] {
        try rows(sql, arguments.map { $0?.sqlValue ?? .null })
    }

    /// The first row, if any.
    public func row(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> SQLRow? {
        try rows(sql, arguments).first
    }

    public func row(_ sql: String, _ arguments: SQLValueConvertible?...) throws(SQLFailure) -> SQLRow? {
        try rows(sql, arguments.map { $0?.sqlValue ?? .null }).first
    }
}

/// Why a statement failed, classed the same for both engines, so a store maps each class once.
public enum SQLFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A constraint refused the row: which kind, and the constraint's (or index's) name when the
    /// engine gives it. A unique index or an exclusion constraint on the book means "taken".
    case constraint(SQLConstraint, name: String?, problem: String)
    /// The engine gave up on the transaction so that another could go on (a deadlock, a
    /// serialisation failure, a lock not granted in time): the whole transaction may be retried.
    case retryable(problem: String)
    /// The database cannot be reached or cannot keep what was written (connection lost, disk
    /// full, I/O error): nothing of the transaction was kept.
    case unavailable(problem: String)
    /// The statement itself is wrong, or anything else: a bug, never retried.
    case statement(problem: String)

    public var description: String {
        switch self {
        case let .constraint(kind, name, problem): "\(kind.rawValue) constraint\(name.map { " \($0)" } ?? ""): \(problem)"
        case let .retryable(problem): "the transaction may be retried: \(problem)"
        case let .unavailable(problem): "the database is unavailable: \(problem)"
        case let .statement(problem): "the statement failed: \(problem)"
        }
    }
}

public enum SQLConstraint: String, Sendable, Hashable {
    case unique
    /// PostgreSQL's exclusion constraint (SQLSTATE 23P01): two rows overlap where they may not.
    case exclusion
    case foreignKey = "foreign key"
    case check
    case notNull = "not null"
    /// SQLite does not always say which.
    case other
}
