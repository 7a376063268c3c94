import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage

/// The SQLite store, opened the suite's one way (`SQLiteFile`), with group commit: changes that
/// arrive while a transaction is being written are written together in the next one, each in
/// its own savepoint, so one fsync covers many bookings and one refused change never undoes
/// its neighbours. Clients' personal data is sealed under their own data keys, which the
/// master key wraps (`DataKeys`).
public final class SQLiteBookingStore: BookingStore {
    public let path: String
    private let pool: DatabasePool
    private let keys: DataKeys
    private let committer: GroupCommitter

    /// `masterKey` must be the key the database was encrypted with (a database without keys is
    /// encrypted with it); `MasterKeySource` checks that before anything is opened.
    public init(path: String, masterKey: MasterKey) throws(StoreError) {
        self.path = path
        pool = try SQLiteFile.open(path: path, label: "bookingd", migrator: Schema.migrator(master: masterKey))
        do {
            keys = try pool.read { db in try DataKeys.load(db, master: masterKey) }
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

    // MARK: Changes

    public func apply(_ change: Change, context: CommandContext) async throws -> ChangeResult {
        let keys = self.keys
        return try await committer.submit { db in try ChangeWriter(db: db, context: context, keys: keys).apply(change) }
    }

    public func storedAnswer(idempotencyKey: String, command: String, digest: String) async throws -> ChangeResult? {
        try await read { db, ciphers in
            try IdempotencyRecord.answer(db, key: idempotencyKey, command: command, digest: digest, ciphers: ciphers)
        }
    }

    /// A read transaction with the keys to open what it reads.
    private func read<Value: Sendable>(_ body: @escaping @Sendable (Database, ClientCiphers) throws -> Value) async throws -> Value {
        let keys = self.keys
        return try await pool.read { db in try body(db, ClientCiphers(db, keys: keys)) }
    }

    // MARK: Reads

    public func appointment(reference: BookingReference) async throws -> Appointment? {
        try await read { db, ciphers in
            try Row.fetchOne(db, sql: "SELECT * FROM appointments WHERE reference = ?", arguments: [reference.description])
                .map { try Appointment(row: $0, ciphers: ciphers) }
        }
    }

    public func history(reference: BookingReference) async throws -> [HistoryEntryBody]? {
        try await read { db, ciphers in
            guard let appointment = try Row.fetchOne(db, sql: "SELECT id, client_id FROM appointments WHERE reference = ?", arguments: [reference.description]) else {
                return nil
            }
            let owner = StoredRow(appointment, table: "appointments", key: reference.description)
            let id: String = try owner.value("id"), clientId: String = try owner.value("client_id")
            return try Row.fetchAll(db, sql: "SELECT * FROM history WHERE appointment_id = ? ORDER BY id", arguments: [id]).map { row in
                let stored = StoredRow(row, table: "history", keyColumn: "id")
                return HistoryEntryBody(
                    kind: try stored.value("kind"), fromStatus: try stored.value("from_status"), toStatus: try stored.value("to_status"),
                    oldStart: try stored.optionalInstant("old_start_ms"), oldEnd: try stored.optionalInstant("old_end_ms"),
                    newStart: try stored.optionalInstant("new_start_ms"), newEnd: try stored.optionalInstant("new_end_ms"),
                    oldConsultantId: try stored.value("old_consultant_id"), newConsultantId: try stored.value("new_consultant_id"),
                    actor: try stored.value("actor"), user: try stored.value("user"), reason: try ciphers.reason(of: stored, clientId: clientId),
                    at: try stored.instant("at")
                )
            }
        }
    }

    public func personalData(reference: BookingReference, eventId: String?) async throws -> PersonalData? {
        try await read { db, ciphers in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM appointments WHERE reference = ?", arguments: [reference.description]) else {
                return nil
            }
            let appointment = try Appointment(row: row, ciphers: ciphers)
            var clientMessage: String?
            // The change's history row: the same appointment and command as the event.
            if let eventId, let history = try Row.fetchOne(db, sql: """
                SELECT h.id, h.reason FROM events e
                JOIN history h ON h.appointment_id = e.appointment_id AND h.correlation_id = e.correlation_id
                WHERE e.id = ? AND e.appointment_id = ? AND h.actor = 'client'
                ORDER BY h.id DESC LIMIT 1
                """, arguments: [eventId, appointment.id.uuidString.lowercased()]) {
                clientMessage = try ciphers.reason(of: StoredRow(history, table: "history", keyColumn: "id"), clientId: appointment.clientId.uuidString.lowercased())
            }
            return PersonalData(contact: appointment.contactInfo, topic: appointment.topic, clientMessage: clientMessage)
        }
    }

    public func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int, email: String?, phone: String?,
                             after: BookingReference?) async throws -> [Appointment] {
        try await read { db, ciphers in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let from {
                clauses.append("start_ms >= ?")
                _ = arguments.append(contentsOf: [Millis.of(from)])
            }
            if let to {
                clauses.append("start_ms < ?")
                _ = arguments.append(contentsOf: [Millis.of(to)])
            }
            if let status {
                clauses.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            // One contact's appointments: by its email (in any case), by its phone, or by either,
            // through their blind indexes.
            let index = ciphers.keys.index
            switch (email, phone) {
            case let (email?, phone?):
                clauses.append("(email_index = ? OR phone_index = ?)")
                _ = arguments.append(contentsOf: [Data(index.email(email)), Data(index.phone(phone))])
            case let (email?, nil):
                clauses.append("email_index = ?")
                _ = arguments.append(contentsOf: [Data(index.email(email))])
            case let (nil, phone?):
                clauses.append("phone_index = ?")
                _ = arguments.append(contentsOf: [Data(index.phone(phone))])
            case (nil, nil):
                break
            }
            if let after {
                clauses.append("(start_ms, consultant_id, reference) > (SELECT start_ms, consultant_id, reference FROM appointments WHERE reference = ?)")
                _ = arguments.append(contentsOf: [after.description])
            }
            let condition = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db, sql: "SELECT * FROM appointments \(condition) ORDER BY start_ms, consultant_id, reference LIMIT ?", arguments: arguments)
                .map { try Appointment(row: $0, ciphers: ciphers) }
        }
    }

    public func events(after sequence: UInt64, limit: Int) async throws -> (events: [EventBody], lastSequence: UInt64) {
        try await pool.read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM events") ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT sequence, body FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [Int64(sequence), limit])
            let events = try rows.map { row in
                let stored = StoredRow(row, table: "events", keyColumn: "sequence")
                let body = try stored.bytes("body")
                do {
                    return try WireJSON.decode(EventBody.self, from: body)
                } catch {
                    throw stored.unreadable("body: \(error)")
                }
            }
            return (events, UInt64(last))
        }
    }

    public func lastSequence() async throws -> UInt64 {
        try await pool.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM events") ?? 0) }
    }

    public func outbox(after sequence: UInt64, limit: Int) async throws -> [OutboxEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT sequence, id, kind, body, correlation_id, created_at FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?",
                arguments: [Int64(sequence), limit]
            ).map { row in
                let stored = StoredRow(row, table: "events", keyColumn: "sequence")
                return OutboxEvent(
                    sequence: UInt64(try stored.value("sequence", as: Int64.self)), id: try stored.value("id"),
                    kind: try stored.parsed("kind", EventKind.init(rawValue:)), occurredAt: try stored.instant("created_at"),
                    correlationId: try stored.value("correlation_id"), body: try stored.bytes("body")
                )
            }
        }
    }

    public func snapshot(from: Date, to: Date) async throws -> (sequence: UInt64, booked: [BookedSlotBody]) {
        // One read transaction: the rows and the sequence number are of the same instant.
        try await pool.read { db in
            let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(sequence), 0) FROM events") ?? 0
            let booked = try Row.fetchAll(
                db, sql: "SELECT reference, consultant_id, start_ms FROM appointments WHERE \(AppointmentStatus.activeCondition) AND start_ms >= ? AND start_ms < ? ORDER BY start_ms",
                arguments: [Millis.of(from), Millis.of(to)]
            ).map { row in
                let stored = StoredRow(row, table: "appointments", keyColumn: "reference")
                return BookedSlotBody(consultantId: try stored.value("consultant_id"), start: try stored.instant("start_ms"))
            }
            return (UInt64(last), booked)
        }
    }

    public func publishedThrough() async throws -> UInt64 {
        try await pool.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT published_through FROM publisher WHERE id = 1") ?? 0) }
    }

    public func setPublishedThrough(_ sequence: UInt64) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE publisher SET published_through = MAX(published_through, ?) WHERE id = 1", arguments: [Int64(sequence)])
        }
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await pool.write { db in
            try AuditTrail.record(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at), in: db)
        }
    }

    public func expiredHolds(at now: Date, limit: Int) async throws -> [BookingReference] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT reference FROM appointments WHERE status = 'scheduled' AND hold_expires_ms <= ? ORDER BY hold_expires_ms LIMIT ?",
                arguments: [Millis.of(now), limit]
            ).map { row in
                try StoredRow(row, table: "appointments", keyColumn: "reference").parsed("reference") { try BookingReference(parsing: $0) }
            }
        }
    }

    public func isKnownContact(email: String) async throws -> Bool {
        let index = Data(keys.index.email(email))
        return try await pool.read { db in
            // Asked before every client's booking: a cached statement, parsed once per connection.
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (
                    SELECT 1 FROM appointments a
                    WHERE a.email_index = ?
                      AND (a.status = 'completed' OR EXISTS (SELECT 1 FROM history h WHERE h.appointment_id = a.id AND h.kind = 'confirmed'))
                )
                """), arguments: [index]) ?? false
        }
    }

    public func confirmationKey() async throws -> [UInt8] {
        try await pool.write { db in
            if let stored = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'confirmation_key'"),
               let key = Data(base64Encoded: stored), key.count == 32 {
                return Array(key)
            }
            var generator = SystemRandomNumberGenerator()
            let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try db.execute(
                sql: "INSERT INTO settings (key, value) VALUES ('confirmation_key', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [Data(key).base64EncodedString()]
            )
            return key
        }
    }

    public func pauseReason() async throws -> String? {
        try await pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'paused'") }
    }

    public func setPause(_ reason: String?, user: String?, correlationId: String, at: Date) async throws {
        try await pool.writeBeforeDeadline { db in
            if let reason {
                try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('paused', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [reason])
            } else {
                try db.execute(sql: "DELETE FROM settings WHERE key = 'paused'")
            }
            try AuditTrail.record(
                AuditEntry(command: reason == nil ? "resume" : "pause", user: user, outcome: reason.map { "ok: \($0)" } ?? "ok", correlationId: correlationId, at: at),
                in: db
            )
        }
    }

    public func pruneIdempotencyRecords(olderThan cutoff: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE created_at < ?", arguments: [Millis.of(cutoff)])
            return db.changesCount
        }
    }
}

// MARK: Attendance and analytics

extension SQLiteBookingStore {
    public func recordVisitStep(visit: String, step: VisitStep, reference: String?, at now: Date) async throws {
        try await pool.writeBeforeDeadline { db in try Visits.record(db, visit: visit, step: step, reference: reference, at: now) }
    }

    public func reportFacts(from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, now: Date,
                            unmarkedAfter: TimeInterval) async throws -> ReportFacts {
        let range = from.start(in: zone)..<to.adding(days: 1).start(in: zone)
        return try await pool.read { db in
            ReportFacts(from: from, to: to, zone: zone, consultantId: consultantId,
                        bookings: try Visits.bookings(db, in: range, consultantId: consultantId),
                        // The funnel is the page's, whoever was booked: a consultant's report has none.
                        visits: consultantId == nil ? try Visits.started(db, in: range) : [],
                        now: now, unmarkedAfter: unmarkedAfter)
        }
    }
}

// MARK: Private calendar feeds

extension SQLiteBookingStore {
    public func feedState(scope: String) async throws -> FeedState {
        try await pool.read { db in try Feeds.state(db, scope: scope) }
    }

    public func rotateFeed(scope: String, at now: Date) async throws -> FeedState {
        try await pool.writeBeforeDeadline { db in try Feeds.rotate(db, scope: scope, at: now) }
    }

    public func revokeFeed(scope: String, at now: Date) async throws -> FeedState {
        try await pool.writeBeforeDeadline { db in try Feeds.revoke(db, scope: scope, at: now) }
    }

    public func feedAppointments(consultantId: String?, from: Date, after: String?, limit: Int) async throws -> [Appointment] {
        try await read { db, ciphers in
            try Feeds.appointmentRows(db, consultantId: consultantId, from: from, after: after, limit: limit)
                .map { try Appointment(row: $0, ciphers: ciphers) }
        }
    }
}

// MARK: Personal data: export, erasure, retention

extension SQLiteBookingStore {
    public func clientIds(of subject: DataSubject) async throws -> [UUID] {
        let index = keys.index
        return try await pool.read { db in
            try ErasureWriter.clientIds(db, of: subject, index: index).compactMap(UUID.init(uuidString:))
        }
    }

    public func activeAppointments(ofClients clientIds: [UUID], after now: Date) async throws -> [BookingReference] {
        let list = SQLList(clientIds.map { $0.uuidString.lowercased() })
        return try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT reference FROM appointments WHERE client_id IN \(list.sql) AND \(AppointmentStatus.activeCondition) AND start_ms > ? ORDER BY start_ms",
                arguments: list.arguments + [Millis.of(now)]
            ).map { row in
                try StoredRow(row, table: "appointments", keyColumn: "reference").parsed("reference") { try BookingReference(parsing: $0) }
            }
        }
    }

    public func erase(clients clientIds: [UUID], cancelled: Int, user: String, correlationId: String, at now: Date) async throws -> ErasureRecord {
        let keys = self.keys
        let record = try await pool.writeBeforeDeadline { db in
            try ErasureWriter(db: db, keys: keys).eraseClients(clientIds.map { $0.uuidString.lowercased() }, cancelled: cancelled, user: user,
                                                              correlationId: correlationId, at: now)
        }
        try removeErasedPages(after: record)
        return record
    }

    public func eraseExpired(_ rule: RetentionRule, limit: Int, correlationId: String, at now: Date) async throws -> ErasureRecord? {
        let keys = self.keys
        let record = try await pool.write { db in
            try ErasureWriter(db: db, keys: keys).eraseExpired(rule, limit: limit, correlationId: correlationId, at: now)
        }
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
        let list = SQLList(clientIds.map { $0.uuidString.lowercased() })
        let ids = clientIds
        let bookings = try await read { db, ciphers in
            try Row.fetchAll(db, sql: "SELECT * FROM appointments WHERE client_id IN \(list.sql) ORDER BY start_ms, reference", arguments: list.arguments)
                .map { try Appointment(row: $0, ciphers: ciphers) }
        }
        var exported: [PersonalDataExport.Booking] = []
        for appointment in bookings {
            exported.append(PersonalDataExport.Booking(appointment: appointment, history: try await history(reference: appointment.bookingReference) ?? []))
        }
        let (erasures, consents) = try await pool.read { db in
            let ids = ids.map { $0.uuidString.lowercased() }
            return (try ErasureLedger.records(db, clientIds: ids), try Consents.records(clientIds: ids, db: db))
        }
        return PersonalDataExport(clientIds: clientIds, bookings: exported, erasures: erasures, consents: consents)
    }
}
