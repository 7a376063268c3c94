import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL

/// availabilityd's own database file, opened the suite's one way (`SQLiteFile`). A shell: the
/// logic is `CalendarTransaction`'s, over `SQLiteTransaction`; what stays here is what only
/// SQLite has (the file, its pool, backups, the older schemas' migrations). One file has one
/// availabilityd.
public final class SQLiteCalendarStore: CalendarStoreShell {
    public let path: String
    private let pool: DatabasePool

    public init(path: String) throws(StoreError) {
        self.path = path
        pool = try SQLiteFile.open(path: path, label: "availabilityd", migrator: Self.migrator)
    }

    public func close() throws {
        try pool.close()
    }

    public func backup(to path: String) throws(StoreError) -> SQLiteBackup.Copy {
        try SQLiteBackup.copy(pool, to: path)
    }

    public func read<Value: Sendable>(_ body: @escaping @Sendable (CalendarTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        try await pool.read { db in try body(CalendarTransaction(SQLiteTransaction(db))) }
    }

    public func write<Value: Sendable>(beforeDeadline: Bool,
                                       _ body: @escaping @Sendable (CalendarTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        let work: @Sendable (Database) throws -> Value = { db in try body(CalendarTransaction(SQLiteTransaction(db))) }
        return beforeDeadline ? try await pool.writeBeforeDeadline(work) : try await pool.write(work)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: blocked periods and time off") { db in
            try db.execute(sql: """
                CREATE TABLE blocked_periods (
                    id INTEGER PRIMARY KEY,
                    from_date TEXT NOT NULL,
                    through_date TEXT NOT NULL CHECK (through_date >= from_date),
                    reason TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    user TEXT
                );
                CREATE TABLE time_off (
                    id INTEGER PRIMARY KEY,
                    consultant_id TEXT NOT NULL,
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                    reason TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: audit") { db in
            try db.execute(sql: """
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    user TEXT NOT NULL,
                    command TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    correlation_id TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: consultants") { db in
            try db.execute(sql: """
                -- Seeded from booking.yaml on first start; managed with bookctl after that.
                CREATE TABLE consultants (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT,
                    time_zone TEXT NOT NULL,
                    active INTEGER NOT NULL DEFAULT 1,
                    position INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: the suite's audit schema and instants in milliseconds") { db in
            try AuditTrail.replaceOlderTable(db, atSQL: Millis.fromTextSQL("at"))
            try db.execute(sql: """
                ALTER TABLE blocked_periods RENAME TO blocked_periods_before;
                CREATE TABLE blocked_periods (
                    id INTEGER PRIMARY KEY,
                    from_date TEXT NOT NULL,
                    through_date TEXT NOT NULL CHECK (through_date >= from_date),
                    reason TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    user TEXT
                );
                INSERT INTO blocked_periods (id, from_date, through_date, reason, created_at, user)
                SELECT id, from_date, through_date, reason, \(Millis.fromTextSQL("created_at")), user FROM blocked_periods_before;
                DROP TABLE blocked_periods_before;
                """)
        }
        migrator.registerMigration("v5: consultants' locale") { db in
            // NULL (consultants added before): the suite's default language.
            try db.execute(sql: "ALTER TABLE consultants ADD COLUMN locale TEXT")
        }
        migrator.registerMigration("v6: consultants' meeting format") { db in
            try db.execute(sql: """
                -- NULL format: the suite's (booking.yaml's `meeting:`).
                ALTER TABLE consultants ADD COLUMN meeting_format TEXT CHECK (meeting_format IN ('phone', 'video', 'office'));
                ALTER TABLE consultants ADD COLUMN meeting_link TEXT;
                ALTER TABLE consultants ADD COLUMN meeting_address TEXT;
                """)
        }
        migrator.registerMigration("v7: consultants' schedules, busy time") { db in
            try db.execute(sql: """
                -- NULL hours: the business hours.
                ALTER TABLE consultants ADD COLUMN hours TEXT;
                ALTER TABLE consultants ADD COLUMN buffer_before_s INTEGER NOT NULL DEFAULT 0 CHECK (buffer_before_s >= 0);
                ALTER TABLE consultants ADD COLUMN buffer_after_s INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_s >= 0);
                ALTER TABLE consultants ADD COLUMN daily_limit INTEGER CHECK (daily_limit > 0);

                -- Imported from consultants' own calendars; a source's rows are replaced together.
                CREATE TABLE busy_intervals (
                    id INTEGER PRIMARY KEY,
                    consultant_id TEXT NOT NULL,
                    source TEXT NOT NULL,
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                    event_id TEXT
                );
                CREATE INDEX busy_intervals_by_source ON busy_intervals(consultant_id, source);
                """)
        }
        migrator.registerMigration("v8: the change version") { db in
            // The logic is the one PostgreSQL's replicas run, which moves this row with every change.
            try db.execute(sql: """
                CREATE TABLE change_version (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL
                );
                INSERT INTO change_version (id, version) VALUES (1, 0);
                """)
        }
        return migrator
    }
}
