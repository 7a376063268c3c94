import Logging
import NIOConcurrencyHelpers
import StoreSQL

/// A session-level advisory lock, held on a connection of its own: whoever holds it holds a role
/// among several processes (bookingd's publisher). The server releases the lock with the session,
/// so a process that dies, or loses its connection, loses the role, and another takes it.
///
/// `check()` is called periodically. Each call is one statement that asks whether this session
/// still holds the lock and, if not, tries to take it. Asking the server, rather than
/// remembering, matters: the pool replaces a connection that died between two checks, and the
/// new session does not hold what the old one did.
public final class PostgresAdvisoryLock: Sendable {
    public let key: Int64
    private let pool: PostgresPool
    private let held = NIOLockedValueBox(false)

    /// `key` must be positive (the check rebuilds it from `pg_locks`' two 32-bit halves).
    public init(settings: PostgresSettings, key: Int64, logger: Logger = Logger(label: "postgres-lock")) {
        precondition(key > 0, "an advisory lock's key is positive")
        self.key = key
        pool = PostgresPool(settings: settings, connections: 1, retryPolicy: .init(attempts: 1), logger: logger)
    }

    /// Whether this process held the lock at its last check.
    public var isHeld: Bool { held.withLockedValue { $0 } }

    /// Whether this process holds the lock now: keeps it if held, takes it if free. A failure to
    /// reach the server counts as not holding it (the server ends a session it cannot reach).
    @discardableResult
    public func check() async -> Bool {
        let key = key
        let holds: Bool
        do {
            holds = try await pool.withoutTransaction { transaction in
                // The keepalives are the server's, for this session's socket: the server notices a
                // holder's host gone within seconds (5 s idle, then 3 probes 2 s apart) instead of
                // the kernel's two hours, and frees the lock for another instance. Set in the
                // same statement, so a replaced connection gets them before it can take the lock.
                let row = try transaction.row(
                    """
                    SELECT set_config('tcp_keepalives_idle', '5', false) AS idle,
                           set_config('tcp_keepalives_interval', '2', false) AS probe_interval,
                           set_config('tcp_keepalives_count', '3', false) AS probes,
                           CASE WHEN EXISTS (
                               SELECT 1 FROM pg_locks
                               WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
                                 AND ((classid::bigint << 32) | objid::bigint) = ?
                           ) THEN true ELSE pg_try_advisory_lock(?) END AS held
                    """, key, key)
                guard let row else { return false }
                return try StoredRow(row, table: "pg_locks", key: "\(key)").value("held", as: Bool.self)
            }
        } catch {
            holds = false
        }
        held.withLockedValue { $0 = holds }
        return holds
    }

    /// Lets the lock go (by closing its session) so another process takes it at once.
    public func release() async {
        held.withLockedValue { $0 = false }
        await pool.close()
    }
}
