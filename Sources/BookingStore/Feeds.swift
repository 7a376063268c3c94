import BookingDomain
import Foundation
import StoreSQL

/// A private calendar feed as bookingd keeps it: no token (bookingd signs it again from these
/// two facts whenever it is shown or checked), only which address is current and whether the
/// feed is served at all.
public struct FeedState: Sendable, Equatable {
    /// A consultant's id, or `team`.
    public var scope: String
    /// Counts the feed's addresses: each rotation makes a new one and ends the one before.
    public var generation: Int
    /// When the feed was stopped; nil while it is served.
    public var revokedAt: Date?

    /// A feed never rotated or revoked: served, at its first address.
    public static func initial(_ scope: String) -> FeedState {
        FeedState(scope: scope, generation: 1, revokedAt: nil)
    }

    public init(scope: String, generation: Int, revokedAt: Date?) {
        self.scope = scope
        self.generation = generation
        self.revokedAt = revokedAt
    }
}

/// The `feeds` table: a row per feed an admin rotated or revoked (a feed without one is
/// `FeedState.initial`), and the appointments a feed shows.
enum Feeds {
    static func state(_ transaction: some SQLTransaction, scope: String) throws -> FeedState {
        guard let row = try transaction.row("SELECT generation, revoked_at FROM feeds WHERE scope = ?", scope) else {
            return .initial(scope)
        }
        let stored = StoredRow(row, table: "feeds", key: scope)
        return FeedState(scope: scope, generation: try stored.value("generation"), revokedAt: try stored.optionalInstant("revoked_at"))
    }

    /// The next address, served again if the feed was revoked.
    static func rotate(_ transaction: some SQLTransaction, scope: String, at now: Date) throws -> FeedState {
        // The existing row by the table's name: PostgreSQL finds a bare column ambiguous here.
        try transaction.execute("""
            INSERT INTO feeds (scope, generation, revoked_at, changed_at) VALUES (?, 2, NULL, ?)
            ON CONFLICT (scope) DO UPDATE SET generation = feeds.generation + 1, revoked_at = NULL, changed_at = excluded.changed_at
            """, scope, Millis.of(now))
        return try state(transaction, scope: scope)
    }

    /// Stopped, at the address it had; revoking it again keeps the first time.
    static func revoke(_ transaction: some SQLTransaction, scope: String, at now: Date) throws -> FeedState {
        try transaction.execute("""
            INSERT INTO feeds (scope, generation, revoked_at, changed_at) VALUES (?, 1, ?, ?)
            ON CONFLICT (scope) DO UPDATE SET revoked_at = COALESCE(feeds.revoked_at, excluded.revoked_at), changed_at = excluded.changed_at
            """, scope, Millis.of(now), Millis.of(now))
        return try state(transaction, scope: scope)
    }

    /// The rows of the appointments a feed holds, in the order of start, consultant and id: every
    /// one not cancelled that starts at `from` or later, of one consultant or of all. `after`:
    /// only those after the appointment with this id in that order (a page's cursor).
    static func appointmentRows(_ transaction: some SQLTransaction, consultantId: String?, from: Date, after: String?, limit: Int) throws -> [SQLRow] {
        var clauses = ["start_ms >= ?", "status <> ?"]
        var arguments: [SQLValue] = [Millis.of(from).sqlValue, AppointmentStatus.cancelled.rawValue.sqlValue]
        if let consultantId {
            clauses.append("consultant_id = ?")
            arguments.append(consultantId.sqlValue)
        }
        if let after {
            clauses.append("(start_ms, consultant_id, id) > (SELECT start_ms, consultant_id, id FROM appointments WHERE id = ?)")
            arguments.append(after.sqlValue)
        }
        arguments.append(limit.sqlValue)
        return try transaction.rows("""
            SELECT * FROM appointments WHERE \(clauses.joined(separator: " AND ")) ORDER BY start_ms, consultant_id, id LIMIT ?
            """, arguments)
    }
}
