import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import Notifications
import SQLiteStorage
import SharedTables
import StoreSQL

/// notifyd's own database: the last event applied, every delivery with its attempts, and the
/// reminder schedule, opened the suite's one way (`SQLiteFile`). What names or reaches a client
/// (a delivery's recipient, message and errors, a reminder's appointment) is sealed under that
/// client's data key (`Sealed`); the keys are wrapped by `masterKey`, which the file never holds.
public final class SQLiteNotificationStore: Sendable {
    public let path: String
    private let pool: DatabasePool
    private let keys: DataKeys

    public init(path: String, masterKey: MasterKey) throws(StoreError) {
        self.path = path
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

    /// One step of a master key rotation (`MasterKeyRotation`).
    public func masterKeyState() async throws -> MasterKeyState {
        try await DataKeys.state(in: pool)
    }

    public func rotateMasterKey(to next: MasterKey, limit: Int) async throws -> RotationProgress {
        try await keys.rotationStep(in: pool, to: next, limit: limit)
    }

    public func finishMasterKeyRotation(to fingerprint: String) async throws -> String? {
        try await keys.finishRotation(in: pool, to: fingerprint)
    }

    static func migrator(masterKey: MasterKey) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE follower (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    last_sequence INTEGER NOT NULL
                );
                INSERT INTO follower (id, last_sequence) VALUES (1, 0);
                CREATE TABLE applied_events (
                    event_id TEXT PRIMARY KEY,
                    sequence INTEGER NOT NULL
                );
                CREATE TABLE deliveries (
                    id TEXT PRIMARY KEY,
                    appointment_id TEXT NOT NULL,
                    reference TEXT NOT NULL,
                    purpose TEXT NOT NULL,
                    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat')),
                    audience TEXT NOT NULL CHECK (audience IN ('client', 'consultant', 'team')),
                    recipient TEXT NOT NULL,
                    message_id TEXT,
                    payload BLOB NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    next_attempt_at INTEGER NOT NULL,
                    first_attempt_at INTEGER,
                    sent_at INTEGER,
                    last_error TEXT,
                    in_doubt INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
                CREATE INDEX deliveries_reference ON deliveries (reference);
                CREATE INDEX deliveries_failed ON deliveries (state) WHERE state = 'failed';
                CREATE TABLE attempts (
                    id INTEGER PRIMARY KEY,
                    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
                    at INTEGER NOT NULL,
                    outcome TEXT NOT NULL,
                    error TEXT
                );
                CREATE INDEX attempts_delivery ON attempts (delivery_id);
                CREATE TABLE reminders (
                    appointment_id TEXT PRIMARY KEY,
                    reference TEXT NOT NULL,
                    start INTEGER NOT NULL,
                    due_at INTEGER NOT NULL,
                    appointment BLOB NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('scheduled', 'queued', 'acknowledged', 'dropped'))
                );
                CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'scheduled';
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    command TEXT NOT NULL,
                    user TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    correlation_id TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: the suite's audit schema") { db in
            try AuditTrail.replaceOlderTable(db)
        }
        migrator.registerMigration("v3: personal data sealed") { db in
            try Sealed.migrate(db, keys: try DataKeys.createTables(db, master: masterKey))
        }
        migrator.registerMigration("v4: erased messages") { db in
            try db.execute(sql: """
                -- When bookingd erased the appointment's personal data: the delivery's recipient,
                -- message and errors are gone, and only the fact that it was sent stays.
                ALTER TABLE deliveries ADD COLUMN erased_at INTEGER;
                """)
        }
        migrator.registerMigration("v5: master key rotation") { db in
            try MasterKeyRotation.createTable(db)
        }
        migrator.registerMigration("v6: leads in the CRM") { db in
            try CRMLeads.migrate(db)
        }
        return migrator
    }

    // MARK: Following the event stream

    public func lastSequence() async throws -> UInt64 {
        try await pool.read { db in try UInt64.fetchOne(db, sql: "SELECT last_sequence FROM follower") ?? 0 }
    }

    /// Applies events in order, each at most once (by id), in one transaction; returns how many
    /// were new. An event at or below the last sequence applied is skipped.
    @discardableResult
    public func apply(_ events: [AppliedEvent], now: Date) async throws -> Int {
        let (count, erased) = try await pool.write { db -> (Int, Bool) in
            var last = try UInt64.fetchOne(db, sql: "SELECT last_sequence FROM follower") ?? 0
            var applied = 0
            var erased = false
            for event in events where event.sequence > last {
                try db.execute(sql: "INSERT OR IGNORE INTO applied_events (event_id, sequence) VALUES (?, ?)", arguments: [event.eventId, event.sequence])
                last = event.sequence
                guard db.changesCount == 1 else { continue }
                applied += 1
                for delivery in event.deliveries {
                    try insert(delivery, db: db, now: now)
                }
                try apply(event.reminder, db: db)
                if let erasure = event.erasure {
                    try Sealed.erase(erasure, db: db, keys: keys, now: now)
                    erased = true
                }
            }
            try db.execute(sql: "UPDATE follower SET last_sequence = ?", arguments: [last])
            return (applied, erased)
        }
        // The WAL still holds the pages as they were before the erasure (the destroyed key's among
        // them) until a checkpoint. The erasure is committed: if a reader keeps the checkpoint from
        // finishing, SQLite's own next one overwrites them.
        if erased { try? SQLiteFile.emptyWAL(pool) }
        return count
    }

    /// Follows the stream from `sequence` on, whatever was applied before (bookingd's database
    /// was replaced by an older copy).
    public func follow(from sequence: UInt64) async throws {
        try await pool.write { db in try db.execute(sql: "UPDATE follower SET last_sequence = ?", arguments: [sequence]) }
    }

    private func insert(_ delivery: NewDelivery, db: Database, now: Date) throws {
        try Sealed.insert(delivery, db: db, cipher: try keys.clientCipher(db, clientId: delivery.clientId), now: now)
    }

    private func apply(_ change: ReminderChange, db: Database) throws {
        switch change {
        case .keep:
            return
        case .schedule(let entry):
            let sealed = try keys.clientCipher(db, clientId: entry.clientId)
                .seal(try WireJSON.encode(entry.appointment), binding: Sealed.reminder(entry.appointmentId))
            try db.execute(
                sql: """
                    INSERT INTO reminders (appointment_id, client_id, reference, start, due_at, appointment, state) VALUES (?, ?, ?, ?, ?, ?, 'scheduled')
                    ON CONFLICT (appointment_id) DO UPDATE SET client_id = excluded.client_id, reference = excluded.reference, start = excluded.start,
                        due_at = excluded.due_at, appointment = excluded.appointment,
                        state = CASE WHEN reminders.start = excluded.start THEN reminders.state ELSE 'scheduled' END
                    """,
                arguments: [entry.appointmentId, entry.clientId, entry.reference, Millis.of(entry.start), Millis.of(entry.dueAt), Data(sealed)]
            )
            try withdrawReminders(of: entry.appointmentId, except: entry.start, db: db)
        case .drop(let appointmentId):
            try db.execute(sql: "UPDATE reminders SET state = 'dropped' WHERE appointment_id = ? AND state IN ('scheduled', 'queued')", arguments: [appointmentId])
            try withdrawReminders(of: appointmentId, except: nil, db: db)
        }
    }

    /// A reminder still waiting to go for another time than `start` is withdrawn.
    private func withdrawReminders(of appointmentId: String, except start: Date?, db: Database) throws {
        let keep = start.map { "\(ReminderKey(appointmentId: appointmentId, start: $0))." } ?? ""
        let withdrawn = try Row.fetchAll(
            db, sql: """
                SELECT id, client_id FROM deliveries
                WHERE appointment_id = ? AND purpose = ? AND state = 'pending' AND (? = '' OR substr(id, 1, length(?)) != ?)
                """,
            arguments: [appointmentId, MessagePurpose.clientReminder.rawValue, keep, keep, keep]
        )
        for row in withdrawn {
            // Sealed like every error, so a delivery's errors are read one way.
            let stored = StoredRow(row, table: "deliveries", keyColumn: "id")
            let id: String = try stored.value("id")
            let note = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, db: db)
                .seal("the appointment was moved or cancelled", binding: Sealed.lastError(id))
            try db.execute(sql: "UPDATE deliveries SET state = 'cancelled', last_error = ? WHERE id = ?", arguments: [Data(note), id])
        }
    }

    // MARK: Sending

    /// Deliveries found `sending` at start were in flight when notifyd stopped: they go again
    /// (nothing is lost), marked in doubt. Returns how many.
    public func recoverInFlight() async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "UPDATE deliveries SET state = 'pending', in_doubt = 1 WHERE state = 'sending'")
            return db.changesCount
        }
    }

    /// Takes up to `limit` due deliveries, oldest first, and marks them `sending`.
    public func claimDue(now: Date, limit: Int) async throws -> [StoredDelivery] {
        try await pool.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT d.* FROM deliveries d WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND \(CRMLeads.mayGo) ORDER BY d.next_attempt_at, d.created_at LIMIT ?",
                arguments: [Millis.of(now), limit]
            )
            var claimed: [StoredDelivery] = []
            for row in rows {
                var delivery = try openedDelivery(row, db)
                try db.execute(
                    sql: "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, ?) WHERE id = ?",
                    arguments: [Millis.of(now), delivery.delivery.id]
                )
                delivery.state = .sending
                delivery.attempts += 1
                delivery.firstAttemptAt = delivery.firstAttemptAt ?? now
                claimed.append(delivery)
            }
            return claimed
        }
    }

    /// The earliest time a pending delivery that may go is due, if any (a CRM change waiting for
    /// the one before it is not: the dispatcher is woken when that one is done).
    public func nextDue() async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(d.next_attempt_at) FROM deliveries d WHERE d.state = 'pending' AND \(CRMLeads.mayGo)").map(Millis.date)
        }
    }

    // MARK: The CRM's leads

    /// The id of the booking's lead in `provider`'s CRM, once it was made.
    public func lead(appointmentId: String, provider: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT lead_id FROM crm_leads WHERE provider = ? AND appointment_id = ?", arguments: [provider, appointmentId])
        }
    }

    /// Keeps the booking's lead id; the first one kept stays (a lookup finds the same lead).
    public func keepLead(appointmentId: String, provider: String, leadId: String, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO crm_leads (provider, appointment_id, lead_id, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [provider, appointmentId, leadId, Millis.of(now)])
        }
    }

    /// Records the outcome of attempts: sent, to be retried at `retryAt`, or failed for good. An
    /// error is kept with the delivery's recipient masked (a server's answer may quote it), and
    /// sealed (it may quote more).
    public func record(_ outcomes: [(id: String, outcome: AttemptOutcome)], at now: Date) async throws {
        try await pool.write { db in
            for (id, outcome) in outcomes {
                switch outcome {
                case .sent:
                    try db.execute(sql: "UPDATE deliveries SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?", arguments: [Millis.of(now), id])
                    try db.execute(sql: "INSERT INTO attempts (delivery_id, at, outcome) VALUES (?, ?, 'sent')", arguments: [id, Millis.of(now)])
                case .retry(let answer, let at):
                    guard let error = try failedAttempt(id, "retry", answer, at: now, db: db) else { continue }
                    try db.execute(sql: "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ?", arguments: [Millis.of(at), error, id])
                case .failed(let answer):
                    guard let error = try failedAttempt(id, "failed", answer, at: now, db: db) else { continue }
                    try db.execute(sql: "UPDATE deliveries SET state = 'failed', last_error = ? WHERE id = ?", arguments: [error, id])
                }
            }
        }
    }

    /// The attempt recorded; its error sealed for the delivery's `last_error` (nil: no such delivery).
    private func failedAttempt(_ id: String, _ outcome: String, _ answer: String, at now: Date, db: Database) throws -> Data? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]) else { return nil }
        let stored = StoredRow(row, table: "deliveries", key: id)
        let cipher = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, db: db)
        let recipient = try Sealed.openText(stored, "recipient", binding: Sealed.recipient(id), cipher: cipher)
        let error = ContactMasking.scrub(answer, recipient: recipient, channel: try stored.parsed("channel", Channel.init(rawValue:)))
        return try Sealed.insertFailedAttempt(id, outcome: outcome, error: error, at: now, db: db, cipher: cipher)
    }

    /// Sends one delivery again, whatever its state (an operator's decision): it becomes pending
    /// now, with a fresh give-up age. Nil when there is no such delivery.
    public func retry(id: String, now: Date) async throws -> StoredDelivery? {
        try await pool.writeBeforeDeadline { db in
            try db.execute(
                sql: "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, first_attempt_at = NULL WHERE id = ? AND state != 'sending'",
                arguments: [Millis.of(now), id]
            )
            return try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map { try self.openedDelivery($0, db) }
        }
    }

    // MARK: Reminders

    public func dueReminders(now: Date, limit: Int = 500) async throws -> [ReminderEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reminders WHERE state = 'scheduled' AND due_at <= ? ORDER BY due_at LIMIT ?", arguments: [Millis.of(now), limit])
                .map { try self.openedReminder($0, db) }
        }
    }

    /// The reminder's messages join the deliveries, or, when the appointment is already past,
    /// the reminder is dropped: one transaction either way, and only if it is still scheduled
    /// for the same start (an event may have moved it meanwhile).
    public func queue(_ reminder: ReminderEntry, deliveries: [NewDelivery], now: Date) async throws {
        try await pool.write { db in
            let state = deliveries.isEmpty ? ReminderState.dropped : .queued
            try db.execute(sql: "UPDATE reminders SET state = ? WHERE appointment_id = ? AND start = ? AND state = 'scheduled'",
                           arguments: [state.rawValue, reminder.appointmentId, Millis.of(reminder.start)])
            guard db.changesCount == 1 else { return }
            for delivery in deliveries { try insert(delivery, db: db, now: now) }
        }
    }

    /// Messages that no event causes (the link that confirms a client's request about their
    /// data, a calendar conflict's notices); returns how many were new. A delivery's id is its
    /// key: one whose id is already kept is not queued again, whatever became of it.
    @discardableResult
    public func queue(_ deliveries: [NewDelivery], now: Date) async throws -> Int {
        try await pool.write { db in
            var queued = 0
            for delivery in deliveries {
                try insert(delivery, db: db, now: now)
                queued += db.changesCount
            }
            return queued
        }
    }

    /// Queued reminders whose email went out, which bookingd has not been told of yet.
    public func remindersToAcknowledge() async throws -> [ReminderEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reminders WHERE state = 'queued'").map { try self.openedReminder($0, db) }.filter { reminder in
                try String.fetchOne(db, sql: "SELECT state FROM deliveries WHERE id = ?", arguments: [reminder.key.deliveryId(.email)]) == DeliveryState.sent.rawValue
            }
        }
    }

    public func acknowledge(appointmentId: String, start: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE reminders SET state = 'acknowledged' WHERE appointment_id = ? AND start = ? AND state = 'queued'",
                           arguments: [appointmentId, Millis.of(start)])
        }
    }

    public func reminder(appointmentId: String) async throws -> ReminderEntry? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM reminders WHERE appointment_id = ?", arguments: [appointmentId]).map { try self.openedReminder($0, db) }
        }
    }

    // MARK: Reading

    private func openedDelivery(_ row: Row, _ db: Database) throws -> StoredDelivery {
        try StoredDelivery(row: row, keys: keys, db: db)
    }

    private func openedReminder(_ row: Row, _ db: Database) throws -> ReminderEntry {
        try ReminderEntry(row: row, keys: keys, db: db)
    }

    /// One admin command (retry, reload, backup) with the OS user who sent it.
    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await pool.write { db in
            try AuditTrail.record(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at), in: db)
        }
    }

    public func deliveries(reference: String) async throws -> [StoredDelivery] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE reference = ? ORDER BY created_at, id", arguments: [reference]).map { try self.openedDelivery($0, db) }
        }
    }

    /// When the newest delivery for `reference` whose id begins with `idPrefix` was queued: read
    /// from plain columns, without opening what each one says.
    public func lastQueued(reference: String, idPrefix: String) async throws -> Date? {
        try await pool.read { db in
            Millis.date(try Int64.fetchOne(db, sql: "SELECT MAX(created_at) FROM deliveries WHERE reference = ? AND substr(id, 1, ?) = ?",
                                           arguments: [reference, idPrefix.count, idPrefix]))
        }
    }

    /// Every message that names one of these clients (bookingd's client ids), oldest first: notifyd's part of an export.
    public func deliveries(clientIds: [String]) async throws -> [StoredDelivery] {
        let list = SQLList(clientIds)
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE client_id IN \(list.sql) ORDER BY created_at, id", arguments: StatementArguments(list.arguments))
                .map { try self.openedDelivery($0, db) }
        }
    }

    public func delivery(id: String) async throws -> StoredDelivery? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map { try self.openedDelivery($0, db) }
        }
    }

    public func failed(limit: Int = 500) async throws -> [StoredDelivery] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliveries WHERE state = 'failed' ORDER BY created_at DESC LIMIT ?", arguments: [limit]).map { try self.openedDelivery($0, db) }
        }
    }

    public func attempts(deliveryId: String) async throws -> [DeliveryAttempt] {
        try await pool.read { db in
            let sql = "SELECT a.*, d.client_id, d.erased_at FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = ? ORDER BY a.id"
            return try Row.fetchAll(db, sql: sql, arguments: [deliveryId]).map { row in
                let stored = StoredRow(row, table: "attempts", keyColumn: "id")
                // An erased message's attempts keep their time and outcome; their errors are gone.
                guard try stored.optionalInstant("erased_at") == nil else {
                    return DeliveryAttempt(at: try stored.instant("at"), outcome: try stored.value("outcome"), error: nil)
                }
                let cipher = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, db: db)
                return DeliveryAttempt(at: try stored.instant("at"), outcome: try stored.value("outcome"),
                                       error: try Sealed.openOptionalText(stored, "error", binding: Sealed.attemptError(try stored.value("id")), cipher: cipher))
            }
        }
    }

    /// How many deliveries are in each state.
    public func counts() async throws -> [DeliveryState: Int] {
        try await pool.read { db in
            var counts: [DeliveryState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM deliveries GROUP BY state") {
                let stored = StoredRow(row, table: "deliveries", keyColumn: "state")
                counts[try stored.parsed("state", DeliveryState.init(rawValue:))] = try stored.value("n")
            }
            return counts
        }
    }
}

/// The result of one attempt, as the store keeps it.
public enum AttemptOutcome: Sendable, Equatable {
    case sent
    case retry(error: String, at: Date)
    case failed(error: String)
}

extension StoredDelivery {
    init(row: Row, keys: DataKeys, db: Database) throws {
        let stored = StoredRow(row, table: "deliveries", keyColumn: "id")
        let id: String = try stored.value("id")
        let clientId: String = try stored.value("client_id")
        // An erased message keeps what happened to it, and nothing of whom or what it was.
        let erased = try stored.optionalInstant("erased_at") != nil
        let cipher = erased ? nil : try Sealed.cipher(of: clientId, stored, keys: keys, db: db)
        self.init(
            delivery: NewDelivery(
                id: id, appointmentId: try stored.value("appointment_id"), clientId: clientId, reference: try stored.value("reference"),
                purpose: try stored.parsed("purpose", MessagePurpose.init(rawValue:)), channel: try stored.parsed("channel", Channel.init(rawValue:)),
                audience: try stored.parsed("audience", Audience.init(rawValue:)),
                recipient: try cipher.map { cipher throws(StoreError) in try Sealed.openText(stored, "recipient", binding: Sealed.recipient(id), cipher: cipher) } ?? "",
                messageId: try stored.value("message_id"),
                payload: try cipher.map { cipher throws(StoreError) in try Sealed.open(stored, "payload", binding: Sealed.payload(id), cipher: cipher) } ?? []
            ),
            state: try stored.parsed("state", DeliveryState.init(rawValue:)), attempts: try stored.value("attempts"),
            createdAt: try stored.instant("created_at"), nextAttemptAt: try stored.instant("next_attempt_at"),
            firstAttemptAt: try stored.optionalInstant("first_attempt_at"), sentAt: try stored.optionalInstant("sent_at"),
            lastError: try cipher.flatMap { cipher throws(StoreError) in try Sealed.openOptionalText(stored, "last_error", binding: Sealed.lastError(id), cipher: cipher) },
            inDoubt: try stored.value("in_doubt")
        )
    }
}

extension ReminderEntry {
    /// The appointment is opened and decoded here, once: callers get it typed.
    init(row: Row, keys: DataKeys, db: Database) throws {
        let stored = StoredRow(row, table: "reminders", keyColumn: "appointment_id")
        let cipher = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, db: db)
        let snapshot = try Sealed.open(stored, "appointment", binding: Sealed.reminder(try stored.value("appointment_id")), cipher: cipher)
        let appointment: AppointmentBody
        do {
            appointment = try WireJSON.decode(AppointmentBody.self, from: snapshot)
        } catch {
            throw stored.unreadable("appointment: \(error)")
        }
        self.init(appointment: appointment, dueAt: try stored.instant("due_at"), state: try stored.parsed("state", ReminderState.init(rawValue:)))
    }
}
