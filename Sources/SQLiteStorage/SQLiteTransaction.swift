import Foundation
import GRDB
import StoreSQL

/// A GRDB connection's transaction as the stores' engine-neutral code speaks to it: every
/// statement is prepared once per connection (GRDB's statement cache) and run with its values
/// mapped both ways, and every `DatabaseError` is classed into an `SQLFailure` here, once.
public struct SQLiteTransaction: SQLTransaction {
    public let db: Database

    public init(_ db: Database) {
        self.db = db
    }

    public var engine: SQLEngine { .sqlite }

    @discardableResult
    public func execute(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> Int {
        do {
            try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments))
            return db.changesCount
        } catch {
            throw SQLFailure(error)
        }
    }

    public func rows(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> [SQLRow] {
        do {
            let statement = try db.cachedStatement(sql: sql)
            let columns = SQLColumns(statement.columnNames)
            let cursor = try Row.fetchCursor(statement, arguments: StatementArguments(arguments))
            var rows: [SQLRow] = []
            while let row = try cursor.next() {
                rows.append(SQLRow(columns: columns, values: row.databaseValues.map(SQLValue.init)))
            }
            return rows
        } catch {
            throw SQLFailure(error)
        }
    }

    /// GRDB's savepoint: released when `body` returns, rolled back to when it throws.
    public func inSavepoint<Value>(_ body: () throws -> Value) throws -> Value {
        var value: Value?
        try db.inSavepoint {
            value = try body()
            return .commit
        }
        return value!
    }
}

extension SQLFailure {
    /// SQLite's result codes in the classes both engines share. `error` not from SQLite (a
    /// statement GRDB refused before running it) is the statement's fault.
    init(_ error: any Error) {
        if let failure = error as? SQLFailure {
            self = failure
            return
        }
        guard let error = error as? DatabaseError else {
            self = .statement(problem: "\(error)")
            return
        }
        let problem = error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY, .SQLITE_CONSTRAINT_ROWID:
            self = .constraint(.unique, name: nil, problem: problem)
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            self = .constraint(.foreignKey, name: nil, problem: problem)
        case .SQLITE_CONSTRAINT_CHECK:
            // SQLite names a named CHECK after the colon: "CHECK constraint failed: name".
            self = .constraint(.check, name: Self.constraintName(problem), problem: problem)
        case .SQLITE_CONSTRAINT_NOTNULL:
            self = .constraint(.notNull, name: nil, problem: problem)
        case .SQLITE_CONSTRAINT:
            self = .constraint(.other, name: nil, problem: problem)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self = .retryable(problem: problem)
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN:
            self = .unavailable(problem: problem)
        default:
            self = .statement(problem: "\(problem) (SQLite error \(error.extendedResultCode.rawValue))")
        }
    }

    private static func constraintName(_ message: String) -> String? {
        guard let colon = message.range(of: ": ") else { return nil }
        let name = message[colon.upperBound...].trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? nil : name
    }
}

extension SQLValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case let .int64(integer): self = .integer(integer)
        case let .double(real): self = .real(real)
        case let .string(text): self = .text(text)
        case let .blob(data): self = .blob([UInt8](data))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case let .integer(integer): integer.databaseValue
        case let .real(real): real.databaseValue
        case let .text(text): text.databaseValue
        case let .blob(bytes): Data(bytes).databaseValue
        }
    }
}

extension StatementArguments {
    /// The values of an engine-neutral statement, for GRDB.
    public init(_ values: [SQLValue]) {
        self.init(values.map(\.databaseValue))
    }
}

extension SQLRow {
    /// A GRDB row as the engine-neutral code reads it.
    public init(_ row: Row) {
        self.init(columns: SQLColumns(Array(row.columnNames)), values: row.databaseValues.map(SQLValue.init))
    }
}

extension StoredRow {
    /// A GRDB row read with the one policy for a row that cannot be read.
    public init(_ row: Row, table: String, key: String) {
        self.init(SQLRow(row), table: table, key: key)
    }

    public init(_ row: Row, table: String, keyColumn: String) {
        self.init(SQLRow(row), table: table, keyColumn: keyColumn)
    }
}

extension Millis {
    /// SQL turning a column of text instants (ISO 8601 or `YYYY-MM-DD HH:MM:SS`, UTC) into
    /// milliseconds, for migrations of tables written before this format was the rule.
    public static func fromTextSQL(_ column: String) -> String {
        "CAST(ROUND((julianday(\(column)) - 2440587.5) * 86400000.0) AS INTEGER)"
    }
}
