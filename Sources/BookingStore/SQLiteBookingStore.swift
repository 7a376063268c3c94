import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL

/// The SQLite store, opened the suite's one way (`SQLiteFile`), with group commit: changes that
/// arrive while a transaction is being written are written together in the next one, each in
/// its own savepoint, so one fsync covers many bookings and one refused change never undoes
/// its neighbours. Clients' personal data is sealed under their own data keys, which the
/// master key wraps (`DataKeys`). A shell: the logic is `BookingTransaction`'s, over
/// `SQLiteTransaction`; what stays here is what only SQLite has (the file, its pool, group
/// commit's savepoints, backups, the WAL, the sealing migration's VACUUM).
public final class SQLiteBookingStore: BookingStoreShell {
    public let path: String
    private let pool: DatabasePool
    private let keys: DataKeys
    private let committer: GroupCommitter
    /// Read once: only a restore, with bookingd stopped, renews it.
    private let storedEpoch: String

    /// `masterKey` must be the key the database was encrypted with (a database without keys is
    /// encrypted with it); `MasterKeySource` checks that before anything is opened.
    public init(path: String, masterKey: MasterKey) throws(StoreError) {
        self.path = path
        pool = try SQLiteFile.open(path: path, label: "bookingd", migrator: Schema.migrator(master: masterKey))
        do {
            keys = try pool.read { db in try DataKeys.load(db, master: masterKey) }
            guard let epoch = try pool.read(StoreIdentity.epoch) else {
                throw StoreError.unreadableRow(table: "store_identity", key: "1", problem: "the database has no epoch")
            }
            storedEpoch = epoch
            try Schema.removeUnsealedPages(pool)
            // Only the writer deletes. Erasing a client deletes their wrapped key: its bytes must
            // not stay behind in a freed part of a page.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        } catch {
            try? pool.close()
            throw .cannotOpen(path: path, problem: "\(error)")
        }
        committer = GroupCommitter(pool: pool)
    }

    public func close() throws {
        try pool.close()
    }

    /// A consistent copy, taken while bookings go on.
    public func backup(to path: String) throws(StoreError) -> SQLiteBackup.Copy {
        try SQLiteBackup.copy(pool, to: path)
    }

    // MARK: Transactions

    /// A read transaction of the store's logic.
    public func read<Value: Sendable>(_ body: @escaping @Sendable (BookingTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        let keys = self.keys
        return try await pool.read { db in try body(BookingTransaction(SQLiteTransaction(db), keys: keys)) }
    }

    /// A write transaction of the store's logic, rolled back if the request's deadline passed
    /// meanwhile (`beforeDeadline`).
    public func write<Value: Sendable>(beforeDeadline: Bool,
                                       _ body: @escaping @Sendable (BookingTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        let keys = self.keys
        let work: @Sendable (Database) throws -> Value = { db in try body(BookingTransaction(SQLiteTransaction(db), keys: keys)) }
        return beforeDeadline ? try await pool.writeBeforeDeadline(work) : try await pool.write(work)
    }

    // MARK: Changes

    public func apply(_ change: Change, context: CommandContext) async throws -> ChangeResult {
        let keys = self.keys
        return try await committer.submit { transaction in try ChangeWriter(transaction, context: context, keys: keys).apply(change) }
    }

    public func epoch() async throws -> String { storedEpoch }

    /// For a restore: the copy at `path`, about to replace the live database, gets an epoch of
    /// its own, so followers start again from a snapshot instead of trusting its sequence numbers.
    public static func renewEpoch(at path: String) throws {
        try StoreIdentity.renew(at: path)
    }

    public func confirmationKey() async throws -> [UInt8] {
        try await write(beforeDeadline: false) { try $0.confirmationKey() }
    }

}

// MARK: Erasure and the master key

extension SQLiteBookingStore {
    public func erase(clients clientIds: [UUID], cancelled: Int, user: String, correlationId: String, at now: Date) async throws -> ErasureRecord {
        let record = try await write(beforeDeadline: true) {
            try $0.erasure.eraseClients(clientIds.map { $0.uuidString.lowercased() }, cancelled: cancelled, user: user, correlationId: correlationId, at: now)
        }
        try removeErasedPages(after: record)
        return record
    }

    public func eraseExpired(_ rule: RetentionRule, limit: Int, correlationId: String, at now: Date) async throws -> ErasureRecord? {
        let record = try await write(beforeDeadline: false) { try $0.erasure.eraseExpired(rule, limit: limit, correlationId: correlationId, at: now) }
        if let record { try removeErasedPages(after: record) }
        return record
    }

    /// The WAL still holds frames of the pages the erased values and keys were on (as earlier
    /// transactions wrote them): a TRUNCATE checkpoint empties it. `secure_delete` already
    /// zeroed them in the pages themselves.
    private func removeErasedPages(after record: ErasureRecord) throws {
        guard !record.erasedNothing else { return }
        try SQLiteFile.emptyWAL(pool)
    }

    public func masterKeyState() async throws -> MasterKeyState {
        try await DataKeys.state(in: pool)
    }

    public func rotateMasterKey(to next: MasterKey, limit: Int) async throws -> RotationProgress {
        try await keys.rotationStep(in: pool, to: next, limit: limit)
    }

    public func finishMasterKeyRotation(to fingerprint: String) async throws -> String? {
        try await keys.finishRotation(in: pool, to: fingerprint)
    }

}
