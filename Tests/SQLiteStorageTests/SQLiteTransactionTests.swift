import Foundation
import GRDB
import SQLiteStorage
import StoreSQL
import Testing

/// GRDB's connection as the seam's `SQLTransaction`, against a real file: values both ways,
/// SQLite's errors in the seam's classes, savepoints.
@Suite struct SQLiteTransactionTests {
    let directory = NSTemporaryDirectory() + "sqltransaction-\(UUID().uuidString)"
    let queue: DatabaseQueue

    init() throws {
        try SQLiteFile.makeDirectory(directory)
        queue = try DatabaseQueue(path: directory + "/things.sqlite")
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE owners (id INTEGER PRIMARY KEY);
                CREATE TABLE things (
                    id INTEGER PRIMARY KEY,
                    owner_id INTEGER REFERENCES owners (id),
                    name TEXT NOT NULL UNIQUE,
                    weight REAL,
                    data BLOB,
                    count INTEGER CONSTRAINT count_not_negative CHECK (count >= 0)
                );
                INSERT INTO owners (id) VALUES (1);
                """)
        }
    }

    /// Outside an explicit transaction, so that nothing but the statement can fail.
    func failure(_ sql: String, _ arguments: SQLValueConvertible?...) throws -> SQLFailure? {
        queue.inDatabase { db -> SQLFailure? in
            do {
                try SQLiteTransaction(db).execute(sql, arguments.map { $0?.sqlValue ?? .null })
                return nil
            } catch {
                return error as? SQLFailure
            }
        }
    }

    @Test func everyKindOfValueGoesInAndComesBackOut() throws {
        let (changed, row) = try queue.write { db in
            let transaction = SQLiteTransaction(db)
            let changed = try transaction.execute("INSERT INTO things (id, owner_id, name, weight, data, count) VALUES (?, ?, ?, ?, ?, ?)",
                                                  7, nil, "Иван", 1.5, [UInt8]([0, 255, 1]), Int64.max)
            return (changed, try transaction.row("SELECT * FROM things WHERE name = ?", "Иван"))
        }
        #expect(changed == 1)
        let values = try #require(row)
        #expect(values.columns.names == ["id", "owner_id", "name", "weight", "data", "count"])
        #expect(values.values == [.integer(7), .null, .text("Иван"), .real(1.5), .blob([0, 255, 1]), .integer(Int64.max)])
        #expect(StoredRow(values, table: "things", keyColumn: "id").key == "7")
    }

    @Test func executeCountsTheRowsItChanged() throws {
        let changed = try queue.write { db in
            let transaction = SQLiteTransaction(db)
            for name in ["a", "b", "c"] { try transaction.execute("INSERT INTO things (name, count) VALUES (?, 1)", name) }
            return try transaction.execute("UPDATE things SET count = count + 1 WHERE name <> ?", "b")
        }
        #expect(changed == 2)
    }

    @Test func aNewRowsIdComesBackThroughReturning() throws {
        let ids = try queue.write { db in
            let transaction = SQLiteTransaction(db)
            return try ["a", "b"].map { name in try transaction.row("INSERT INTO things (name) VALUES (?) RETURNING id", name)?["id"] }
        }
        #expect(ids == [.integer(1), .integer(2)])
    }

    @Test func constraintFailuresAreClassedByKind() throws {
        _ = try failure("INSERT INTO things (name) VALUES ('taken')")
        #expect(try kind(failure("INSERT INTO things (name) VALUES ('taken')")) == .unique)
        #expect(try kind(failure("INSERT INTO things (id, name) VALUES (1, 'again')")) == .unique, "a primary key is unique")
        #expect(try kind(failure("INSERT INTO things (owner_id, name) VALUES (2, 'orphan')")) == .foreignKey)
        #expect(try kind(failure("INSERT INTO things (name) VALUES (NULL)")) == .notNull)
        let check = try failure("INSERT INTO things (name, count) VALUES ('negative', -1)")
        guard case let .constraint(.check, name, _)? = check else {
            Issue.record("not a check: \(String(describing: check))")
            return
        }
        #expect(name == "count_not_negative")
    }

    func kind(_ failure: SQLFailure?) -> SQLConstraint? {
        guard case let .constraint(kind, _, _)? = failure else { return nil }
        return kind
    }

    @Test func aWrongStatementIsTheStatementsFault() throws {
        guard case .statement? = try failure("INSERT INTO nothing (id) VALUES (1)") else {
            Issue.record("not a statement failure")
            return
        }
    }

    @Test func aLockNotGrantedMayBeRetried() throws {
        // Another connection holds the write lock; this one does not wait (GRDB's default).
        let other = try DatabaseQueue(path: directory + "/things.sqlite")
        let failure = try other.inDatabase { holder -> SQLFailure? in
            try holder.execute(sql: "BEGIN IMMEDIATE")
            defer { try? holder.execute(sql: "ROLLBACK") }
            return try self.failure("INSERT INTO things (name) VALUES ('late')")
        }
        guard case .retryable? = failure else {
            Issue.record("not retryable: \(String(describing: failure))")
            return
        }
    }

    @Test func aFullDatabaseIsUnavailable() throws {
        try queue.inDatabase { db in try db.execute(sql: "PRAGMA max_page_count = \(try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1)") }
        let failure = try failure("INSERT INTO things (name, data) VALUES (?, ?)", "big", [UInt8](repeating: 1, count: 100_000))
        guard case .unavailable? = failure else {
            Issue.record("not unavailable: \(String(describing: failure))")
            return
        }
    }

    @Test func aSavepointUndoesOnlyWhatItsBodyDidWhenItThrows() throws {
        struct Refused: Error {}
        let (kept, value) = try queue.write { db in
            let transaction = SQLiteTransaction(db)
            try transaction.execute("INSERT INTO things (name) VALUES ('before')")
            #expect(throws: Refused.self) {
                try transaction.inSavepoint {
                    try transaction.execute("INSERT INTO things (name) VALUES ('undone')")
                    throw Refused()
                }
            }
            let value = try transaction.inSavepoint {
                try transaction.execute("INSERT INTO things (name) VALUES ('after')")
                return 42
            }
            let kept = try transaction.rows("SELECT name FROM things ORDER BY id").map { $0["name"] }
            return (kept, value)
        }
        #expect(kept == [.text("before"), .text("after")])
        #expect(value == 42)
    }

    @Test func aGRDBRowIsReadWithTheOnePolicy() throws {
        let row = try #require(try queue.read { db in try Row.fetchOne(db, sql: "SELECT 1 AS id, 'x' AS name, NULL AS gone") })
        let stored = StoredRow(row, table: "things", keyColumn: "id")
        #expect(stored.key == "1")
        #expect(try stored.value("name", as: String.self) == "x")
        #expect(try stored.value("gone", as: String?.self) == nil)
        #expect(throws: StoreError.unreadableRow(table: "things", key: "1", problem: "column name: text is not a valid Int64")) {
            try stored.value("name", as: Int64.self)
        }
    }
}
