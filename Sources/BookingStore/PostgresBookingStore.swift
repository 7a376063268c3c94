import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import Deadlines
import FieldEncryption
import Foundation
import PostgresStorage
import SharedTables
import StoreSQL

/// The PostgreSQL store: the same logic as SQLite's (`BookingTransaction`, `ChangeWriter`) over
/// `PostgresTransaction`, each change in a transaction of its own, so several bookingd
/// instances write to one database at once. What keeps them right together is in the database:
/// the exclusion constraint (no overlapping active appointments of a consultant), the
/// idempotency key as a primary key, advisory locks on a request's key and a contact (`WriterTurns`) and the one
/// event counter row (`EventLog`). A transaction the server gives up (a deadlock, a
/// serialisation failure) is retried by the pool, up to its bound.
public final class PostgresBookingStore: BookingStoreShell {
    public let pool: PostgresPool
    private let keys: DataKeys

    /// Brings the schema forward (once, whichever instance starts first), then makes the
    /// database's keys under `masterKey` if it has none, or checks them against it.
    public init(pool: PostgresPool, masterKey: MasterKey) async throws {
        self.pool = pool
        try await PostgresSchema.migrator.migrate(pool)
        keys = try await pool.transaction { transaction in
            // Two instances opening a new database at once: the second waits here and loads.
            try transaction.execute("LOCK TABLE keyring IN EXCLUSIVE MODE", [])
            if try transaction.row("SELECT 1 AS present FROM keyring WHERE id = 1") == nil {
                return try DataKeys.createKeyring(transaction, master: masterKey, sharedWithOtherInstances: true)
            }
            return try DataKeys.load(transaction, master: masterKey, sharedWithOtherInstances: true)
        }
    }

    public func close() async {
        await pool.close()
    }

    /// The database's identity for the event stream's epoch: the cluster's system identifier,
    /// its timeline and the database's oid. A promoted standby starts a new timeline, and a
    /// restore into another cluster or database has another identifier or oid, so a subscriber
    /// sees that the stream it follows may have lost events.
    public func epoch() async throws -> String {
        try await transaction(beforeDeadline: false) { transaction in
            guard let row = try transaction.row("""
                SELECT s.system_identifier::text AS system, c.timeline_id::bigint AS timeline, d.oid::bigint AS database
                FROM pg_control_system() s, pg_control_checkpoint() c, pg_database d
                WHERE d.datname = current_database()
                """) else {
                throw StoreError.unreadableRow(table: "pg_control_system", key: "-", problem: "no row")
            }
            let stored = StoredRow(row, table: "pg_control_system", key: "-")
            let system: String = try stored.value("system")
            let timeline: Int64 = try stored.value("timeline"), database: Int64 = try stored.value("database")
            return "\(system)-\(timeline)-\(database)"
        }
    }

    // MARK: Transactions

    /// A read: one snapshot for all its statements (READ COMMITTED would take one per
    /// statement), so a snapshot's sequence and its slots, or events and the last sequence,
    /// are of one instant as on SQLite.
    public func read<Value: Sendable>(_ body: @escaping @Sendable (BookingTransaction<PostgresTransaction>) throws -> Value) async throws -> Value {
        let keys = self.keys
        return try await transaction(beforeDeadline: false) { transaction in
            try transaction.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", [])
            return try body(BookingTransaction(transaction, keys: keys))
        }
    }

    public func write<Value: Sendable>(beforeDeadline: Bool,
                                       _ body: @escaping @Sendable (BookingTransaction<PostgresTransaction>) throws -> Value) async throws -> Value {
        let keys = self.keys
        return try await transaction(beforeDeadline: beforeDeadline) { transaction in try body(BookingTransaction(transaction, keys: keys)) }
    }

    /// One transaction, rolled back if the request's deadline passed meanwhile
    /// (`beforeDeadline`), as SQLite's. One the server refused every time it was tried fails
    /// as a commit that failed: nothing was kept, and the client may try again.
    private func transaction<Value: Sendable>(beforeDeadline: Bool,
                                              _ body: @escaping @Sendable (PostgresTransaction) throws -> Value) async throws -> Value {
        let deadline = beforeDeadline ? RequestDeadline.current : nil
        do {
            return try await pool.transaction { transaction in
                let value = try body(transaction)
                try deadline?.check()
                return value
            }
        } catch let error as PostgresStorageError {
            throw StoreError.commitFailed(problem: "\(error)")
        }
    }

    // MARK: Changes

    public func apply(_ change: Change, context: CommandContext) async throws -> ChangeResult {
        do {
            return try await write(beforeDeadline: true) { booking in
                let outcome = try ChangeWriter(booking.transaction, context: context, keys: booking.keys).apply(change)
                try EventLog.append(outcome.events, in: booking.transaction)
                return outcome.result
            }
        } catch let race as IdempotencyRace {
            // The other change committed before this one's insert failed: its answer is there.
            guard let stored = try await storedAnswer(idempotencyKey: race.key, command: context.command, digest: context.digest) else {
                throw StoreError.unreadableRow(table: "idempotency", key: race.key, problem: "the record another change stored is gone")
            }
            return stored
        }
    }

    public func confirmationKey() async throws -> [UInt8] {
        // Two instances making it at once: the second waits for the first's and reads it.
        try await write(beforeDeadline: false) { booking in
            try booking.transaction.execute("LOCK TABLE settings IN SHARE ROW EXCLUSIVE MODE", [])
            return try booking.confirmationKey()
        }
    }
}

// MARK: Erasure and the master key

extension PostgresBookingStore {
    // An erased value's old row versions stay in the table's pages until VACUUM reclaims them,
    // as SQLite's freed pages did before `secure_delete`; they are sealed, and the client's key
    // that opens them is deleted in the same transaction, so nothing readable stays behind.
    public func erase(clients clientIds: [UUID], cancelled: Int, user: String, correlationId: String, at now: Date) async throws -> ErasureRecord {
        try await write(beforeDeadline: true) {
            try $0.erasure.eraseClients(clientIds.map { $0.uuidString.lowercased() }, cancelled: cancelled, user: user, correlationId: correlationId, at: now)
        }
    }

    public func eraseExpired(_ rule: RetentionRule, limit: Int, correlationId: String, at now: Date) async throws -> ErasureRecord? {
        try await write(beforeDeadline: false) { try $0.erasure.eraseExpired(rule, limit: limit, correlationId: correlationId, at: now) }
    }

    public func masterKeyState() async throws -> MasterKeyState {
        try await transaction(beforeDeadline: false) { try DataKeys.state($0) }
    }

    public func rotateMasterKey(to next: MasterKey, limit: Int) async throws -> RotationProgress {
        let keys = self.keys
        let progress = try await transaction(beforeDeadline: true) { try keys.rotationStep($0, to: next, limit: limit) }
        keys.rotationStepCommitted(to: next)
        return progress
    }

    public func finishMasterKeyRotation(to fingerprint: String) async throws -> String? {
        let keys = self.keys
        let retired = try await transaction(beforeDeadline: true) { try keys.finishRotation($0, to: fingerprint) }
        if let retired { keys.rotationFinished(retiring: retired) }
        return retired
    }

}
