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
public final class SQLiteBookingStore: BookingStore {
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
    private func read<Value: Sendable>(_ body: @escaping @Sendable (BookingTransaction<SQLiteTransaction>) throws -> Value) async throws -> Value {
        let keys = self.keys
        return try await pool.read { db in try body(BookingTransaction(SQLiteTransaction(db), keys: keys)) }
    }

    /// A write transaction of the store's logic, rolled back if the request's deadline passed
    /// meanwhile (`beforeDeadline`).
    private func write<Value: Sendable>(beforeDeadline: Bool = true,
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

    public func storedAnswer(idempotencyKey: String, command: String, digest: String) async throws -> ChangeResult? {
        try await read { try $0.storedAnswer(idempotencyKey: idempotencyKey, command: command, digest: digest) }
    }

    // MARK: Reads

    public func appointment(reference: BookingReference) async throws -> Appointment? {
        try await read { try $0.appointment(reference: reference) }
    }

    public func history(reference: BookingReference) async throws -> [HistoryEntryBody]? {
        try await read { try $0.history(reference: reference) }
    }

    public func personalData(reference: BookingReference, eventId: String?) async throws -> PersonalData? {
        try await read { try $0.personalData(reference: reference, eventId: eventId) }
    }

    public func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int, email: String?, phone: String?,
                             after: BookingReference?) async throws -> [Appointment] {
        try await read { try $0.appointments(from: from, to: to, status: status, limit: limit, email: email, phone: phone, after: after) }
    }

    public func events(after sequence: UInt64, limit: Int) async throws -> (events: [EventBody], lastSequence: UInt64) {
        try await read { try $0.events(after: sequence, limit: limit) }
    }

    public func lastSequence() async throws -> UInt64 {
        try await read { try EventLog.lastSequence($0.transaction) }
    }

    public func outbox(after sequence: UInt64, limit: Int) async throws -> [OutboxEvent] {
        try await read { try $0.outbox(after: sequence, limit: limit) }
    }

    public func snapshot(from: Date, to: Date) async throws -> (sequence: UInt64, booked: [BookedSlotBody]) {
        try await read { try $0.snapshot(from: from, to: to) }
    }

    public func publishedThrough() async throws -> UInt64 {
        try await read { try $0.publishedThrough() }
    }

    public func epoch() async throws -> String { storedEpoch }

    /// For a restore: the copy at `path`, about to replace the live database, gets an epoch of
    /// its own, so followers start again from a snapshot instead of trusting its sequence numbers.
    public static func renewEpoch(at path: String) throws {
        try StoreIdentity.renew(at: path)
    }

    public func setPublishedThrough(_ sequence: UInt64) async throws {
        try await write(beforeDeadline: false) { try $0.setPublishedThrough(sequence) }
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await write(beforeDeadline: false) {
            try $0.recordAudit(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at))
        }
    }

    public func expiredHolds(at now: Date, limit: Int) async throws -> [BookingReference] {
        try await read { try $0.expiredHolds(at: now, limit: limit) }
    }

    public func isKnownContact(email: String) async throws -> Bool {
        try await read { try $0.isKnownContact(email: email) }
    }

    public func confirmationKey() async throws -> [UInt8] {
        try await write(beforeDeadline: false) { try $0.confirmationKey() }
    }

    public func pauseReason() async throws -> String? {
        try await read { try $0.pauseReason() }
    }

    public func setPause(_ reason: String?, user: String?, correlationId: String, at: Date) async throws {
        try await write { try $0.setPause(reason, user: user, correlationId: correlationId, at: at) }
    }

    public func pruneIdempotencyRecords(olderThan cutoff: Date) async throws -> Int {
        try await write(beforeDeadline: false) { try $0.pruneIdempotencyRecords(olderThan: cutoff) }
    }
}

// MARK: Attendance and analytics

extension SQLiteBookingStore {
    public func recordVisitStep(visit: String, step: VisitStep, reference: String?, at now: Date) async throws {
        try await write { try Visits.record($0.transaction, visit: visit, step: step, reference: reference, at: now) }
    }

    public func reportFacts(from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, now: Date,
                            unmarkedAfter: TimeInterval) async throws -> ReportFacts {
        try await read { try $0.reportFacts(from: from, to: to, zone: zone, consultantId: consultantId, now: now, unmarkedAfter: unmarkedAfter) }
    }
}

// MARK: Private calendar feeds

extension SQLiteBookingStore {
    public func feedState(scope: String) async throws -> FeedState {
        try await read { try Feeds.state($0.transaction, scope: scope) }
    }

    public func rotateFeed(scope: String, at now: Date) async throws -> FeedState {
        try await write { try Feeds.rotate($0.transaction, scope: scope, at: now) }
    }

    public func revokeFeed(scope: String, at now: Date) async throws -> FeedState {
        try await write { try Feeds.revoke($0.transaction, scope: scope, at: now) }
    }

    public func feedAppointments(consultantId: String?, from: Date, after: String?, limit: Int) async throws -> [Appointment] {
        try await read { try $0.feedAppointments(consultantId: consultantId, from: from, after: after, limit: limit) }
    }
}

// MARK: Personal data: export, erasure, retention

extension SQLiteBookingStore {
    public func clientIds(of subject: DataSubject) async throws -> [UUID] {
        try await read { try $0.clientIds(of: subject) }
    }

    public func activeAppointments(ofClients clientIds: [UUID], after now: Date) async throws -> [BookingReference] {
        try await read { try $0.activeAppointments(ofClients: clientIds, after: now) }
    }

    public func erase(clients clientIds: [UUID], cancelled: Int, user: String, correlationId: String, at now: Date) async throws -> ErasureRecord {
        let record = try await write {
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

    public func export(clients clientIds: [UUID]) async throws -> PersonalDataExport {
        try await read { try $0.export(clients: clientIds) }
    }
}
