import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL

/// notifyd's own database file: the last event applied, every delivery with its attempts, and
/// the reminder schedule, opened the suite's one way (`SQLiteFile`). What names or reaches a
/// client (a delivery's recipient, message and errors, a reminder's appointment) is sealed
/// under that client's data key (`Sealed`); the keys are wrapped by `masterKey`, which the file
/// never holds. A shell: the logic is `NotificationTransaction`'s, over `SQLiteTransaction`;
/// what stays here is what only SQLite has (the file, its pool, backups, the WAL, the older
/// schemas' migrations).
public final class SQLiteNotificationStore: NotificationStore {
    public let path: String
    private let pool: DatabasePool
    private let keys: DataKeys
    private let claimant: Claimant

    /// `claimant`: SQLite has one writer, so one notifyd; its lease still bounds how long a
    /// claim of a stopped run blocks a delivery.
    public init(path: String, masterKey: MasterKey, claimant: Claimant = .solo) throws(StoreError) {
        self.path = path
        self.claimant = claimant
        // Read before opening: a file without keys is sealed by the migration about to run.
        let sealing = try DataKeys.storedMasterKeys(path: path) == nil
        let pool = try SQLiteFile.open(path: path, label: "notifyd", migrator: Self.migrator(masterKey: masterKey))
        do {
            // What an erasure deletes (a destroyed key above all) is zeroed in the file, not only freed.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
            keys = try pool.read { db in try DataKeys.load(db, master: masterKey) }
            if sealing { try Sealed.dropPlaintextPages(pool) }
        } catch {
            try? pool.close()
            throw .cannotOpen(path: path, problem: "\(error)")
        }
        self.pool = pool
    }

    public func close() throws {
        try pool.close()
    }

    public func backup(to path: String) throws(StoreError) -> SQLiteBackup.Copy {
        try SQLiteBackup.copy(pool, to: path)
    }

    // MARK: Transactions

    private func read<Value: Sendable>(_ body: @escaping @Sendable (NotificationTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        let (keys, claimant) = (self.keys, self.claimant)
        return try await pool.read { db in try body(NotificationTransaction(SQLiteTransaction(db), keys: keys, claimant: claimant)) }
    }

    private func write<Value: Sendable>(beforeDeadline: Bool = false,
                                        _ body: @escaping @Sendable (NotificationTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        let (keys, claimant) = (self.keys, self.claimant)
        let work: @Sendable (Database) throws -> Value = { db in try body(NotificationTransaction(SQLiteTransaction(db), keys: keys, claimant: claimant)) }
        return beforeDeadline ? try await pool.writeBeforeDeadline(work) : try await pool.write(work)
    }

    // MARK: Following the event stream

    public func lastSequence() async throws -> UInt64 {
        try await read { try $0.lastSequence() }
    }

    @discardableResult
    public func apply(_ events: [AppliedEvent], now: Date) async throws -> Int {
        let (applied, erased) = try await write { try $0.apply(events, now: now) }
        // The WAL still holds the pages as they were before the erasure (the destroyed key's among
        // them) until a checkpoint. The erasure is committed: if a reader keeps the checkpoint from
        // finishing, SQLite's own next one overwrites them.
        if erased { try? SQLiteFile.emptyWAL(pool) }
        return applied
    }

    public func follow(from sequence: UInt64) async throws {
        try await write { try $0.follow(from: sequence) }
    }

    public func followedEpoch() async throws -> String? {
        try await read { try $0.followedEpoch() }
    }

    public func keep(epoch: String) async throws {
        try await write { try $0.keep(epoch: epoch) }
    }

    // MARK: Sending

    public func releaseOwnClaims() async throws -> Int {
        try await write { try $0.releaseOwnClaims() }
    }

    public func claimDue(now: Date, limit: Int) async throws -> [StoredDelivery] {
        try await write { try $0.claimDue(now: now, limit: limit) }
    }

    public func nextDue() async throws -> Date? {
        try await read { try $0.nextDue() }
    }

    @discardableResult
    public func record(_ outcomes: [(id: String, outcome: AttemptOutcome)], at now: Date) async throws -> [String] {
        try await write { try $0.record(outcomes, at: now) }
    }

    public func retry(id: String, now: Date) async throws -> StoredDelivery? {
        try await write(beforeDeadline: true) { try $0.retry(id: id, now: now) }
    }

    // MARK: The CRM's leads

    public func lead(appointmentId: String, provider: String) async throws -> String? {
        try await read { try $0.lead(appointmentId: appointmentId, provider: provider) }
    }

    public func keepLead(appointmentId: String, provider: String, leadId: String, at now: Date) async throws {
        try await write { try $0.keepLead(appointmentId: appointmentId, provider: provider, leadId: leadId, at: now) }
    }

    // MARK: Reminders

    public func dueReminders(now: Date, limit: Int) async throws -> [ReminderEntry] {
        try await read { try $0.dueReminders(now: now, limit: limit) }
    }

    public func queue(_ reminder: ReminderEntry, deliveries: [NewDelivery], now: Date) async throws {
        try await write { try $0.queue(reminder, deliveries: deliveries, now: now) }
    }

    @discardableResult
    public func queue(_ deliveries: [NewDelivery], now: Date) async throws -> Int {
        try await write { try $0.queue(deliveries, now: now) }
    }

    public func remindersToAcknowledge() async throws -> [ReminderEntry] {
        try await read { try $0.remindersToAcknowledge() }
    }

    public func acknowledge(appointmentId: String, start: Date) async throws {
        try await write { try $0.acknowledge(appointmentId: appointmentId, start: start) }
    }

    public func reminder(appointmentId: String) async throws -> ReminderEntry? {
        try await read { try $0.reminder(appointmentId: appointmentId) }
    }

    // MARK: Reading

    public func deliveries(reference: String) async throws -> [StoredDelivery] {
        try await read { try $0.deliveries(reference: reference) }
    }

    public func lastQueued(reference: String, idPrefix: String) async throws -> Date? {
        try await read { try $0.lastQueued(reference: reference, idPrefix: idPrefix) }
    }

    public func deliveries(clientIds: [String]) async throws -> [StoredDelivery] {
        try await read { try $0.deliveries(clientIds: clientIds) }
    }

    public func delivery(id: String) async throws -> StoredDelivery? {
        try await read { try $0.delivery(id: id) }
    }

    public func failed(limit: Int) async throws -> [StoredDelivery] {
        try await read { try $0.failed(limit: limit) }
    }

    public func attempts(deliveryId: String) async throws -> [DeliveryAttempt] {
        try await read { try $0.attempts(deliveryId: deliveryId) }
    }

    public func counts() async throws -> [DeliveryState: Int] {
        try await read { try $0.counts() }
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await write { try $0.recordAudit(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at)) }
    }

    // MARK: The master key

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
