import Foundation
import StoreSQL

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

/// The `audit` table every daemon's database has, with one schema (each engine's shell makes it).
/// `user` is quoted: PostgreSQL reserves the word.
public enum AuditTrail {
    public static func record(_ entry: AuditEntry, in transaction: some SQLTransaction) throws {
        try transaction.execute("""
            INSERT INTO audit (at, actor, "user", command, reference, correlation_id, outcome) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, Millis.of(entry.at), entry.actor, entry.user, entry.command, entry.reference, entry.correlationId, entry.outcome)
    }

    /// The newest entries first.
    public static func entries(_ transaction: some SQLTransaction, limit: Int) throws -> [AuditEntry] {
        try transaction.rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", limit).map { row in
            let stored = StoredRow(row, table: "audit", keyColumn: "id")
            return AuditEntry(
                command: try stored.value("command"), user: try stored.value("user"), outcome: try stored.value("outcome"),
                correlationId: try stored.value("correlation_id"), at: try stored.instant("at"), actor: try stored.value("actor"),
                reference: try stored.value("reference")
            )
        }
    }
}
