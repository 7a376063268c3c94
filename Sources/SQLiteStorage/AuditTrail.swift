import Foundation
import GRDB

/// One command in a daemon's audit trail.
public struct AuditEntry: Sendable, Hashable {
    public var command: String
    /// The OS user who sent it; nil when a client of the web site or the system did.
    public var user: String?
    /// `ok`, or why it failed.
    public var outcome: String
    public var correlationId: String
    public var at: Date
    /// `client`, `admin` or `system`.
    public var actor: String
    /// The booking the command changed, if it changed one.
    public var reference: String?

    public init(command: String, user: String?, outcome: String, correlationId: String, at: Date, actor: String = "admin", reference: String? = nil) {
        self.command = command
        self.user = user
        self.outcome = outcome
        self.correlationId = correlationId
        self.at = at
        self.actor = actor
        self.reference = reference
    }
}

/// The `audit` table every daemon's database has, with one schema.
public enum AuditTrail {
    /// Creates the table in a new database.
    public static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                user TEXT,
                command TEXT NOT NULL,
                reference TEXT,
                correlation_id TEXT NOT NULL,
                outcome TEXT NOT NULL
            )
            """)
    }

    /// Moves the rows of an `audit` table of an older schema (with `command`, `user`, `outcome`,
    /// `correlation_id` and `at`) into the one schema, as admin commands; `at` is SQL giving
    /// the instant in milliseconds from the old row.
    public static func replaceOlderTable(_ db: Database, atSQL: String = "at") throws {
        try db.execute(sql: "ALTER TABLE audit RENAME TO audit_before")
        try createTable(db)
        try db.execute(sql: """
            INSERT INTO audit (id, at, actor, user, command, reference, correlation_id, outcome)
            SELECT id, \(atSQL), 'admin', user, command, NULL, correlation_id, outcome FROM audit_before ORDER BY id
            """)
        try db.execute(sql: "DROP TABLE audit_before")
    }

    public static func record(_ entry: AuditEntry, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO audit (at, actor, user, command, reference, correlation_id, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [Millis.of(entry.at), entry.actor, entry.user, entry.command, entry.reference, entry.correlationId, entry.outcome])
    }

    /// The newest entries first.
    public static func entries(_ db: Database, limit: Int) throws -> [AuditEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
            let stored = StoredRow(row, table: "audit", keyColumn: "id")
            return AuditEntry(
                command: try stored.value("command"), user: try stored.value("user"), outcome: try stored.value("outcome"),
                correlationId: try stored.value("correlation_id"), at: try stored.instant("at"), actor: try stored.value("actor"),
                reference: try stored.value("reference")
            )
        }
    }
}
