import BookingProtocol
import FieldEncryption
import Foundation
import Notifications
import SharedTables
import StoreSQL

/// notifyd's store logic on one transaction, in the SQL both engines share. An engine's shell
/// (`SQLiteNotificationStore`, `PostgresNotificationStore`) opens the transaction, commits it,
/// and does what only its engine has. Everything here stays right when several notifyd
/// instances run it on one database at once: rows are inserted by their unique ids with
/// `ON CONFLICT DO NOTHING`, the followed position only moves forward, and a claim is a lease.
struct NotificationTransaction<Transaction: SQLTransaction> {
    let transaction: Transaction
    let keys: DataKeys
    let claimant: Claimant

    init(_ transaction: Transaction, keys: DataKeys, claimant: Claimant) {
        self.transaction = transaction
        self.keys = keys
        self.claimant = claimant
    }

    // MARK: Following the event stream

    func lastSequence() throws -> UInt64 {
        guard let row = try transaction.row("SELECT last_sequence FROM follower WHERE id = 1") else { return 0 }
        return UInt64(try StoredRow(row, table: "follower", key: "1").value("last_sequence", as: Int64.self))
    }

    /// Applies events in order, each at most once (by id); returns how many were new and
    /// whether one erased a client's data. Another instance applying the same event at the
    /// same time waits on its `applied_events` row and then skips it.
    func apply(_ events: [AppliedEvent], now: Date) throws -> (applied: Int, erased: Bool) {
        let last = try lastSequence()
        var newest = last
        var applied = 0
        var erased = false
        for event in events where event.sequence > last {
            newest = max(newest, event.sequence)
            let inserted = try transaction.execute(
                "INSERT INTO applied_events (event_id, sequence) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING", event.eventId, Int64(event.sequence))
            guard inserted == 1 else { continue }
            applied += 1
            for delivery in event.deliveries {
                try insert(delivery, now: now)
            }
            try apply(event.reminder)
            if let erasure = event.erasure {
                try Sealed.erase(erasure, transaction, keys: keys, now: now)
                erased = true
            }
        }
        try moveForward(to: newest)
        return (applied, erased)
    }

    /// The followed position moves forward only: an instance that applied less never moves
    /// it back under another that applied more.
    private func moveForward(to sequence: UInt64) throws {
        try transaction.execute("UPDATE follower SET last_sequence = ? WHERE id = 1 AND last_sequence < ?", Int64(sequence), Int64(sequence))
    }

    /// Follows the stream from `sequence` on, whatever was applied before (bookingd's database
    /// was replaced by an older copy): the one change that moves the position back.
    func follow(from sequence: UInt64) throws {
        try transaction.execute("UPDATE follower SET last_sequence = ? WHERE id = 1", Int64(sequence))
    }

    func followedEpoch() throws -> String? {
        guard let row = try transaction.row("SELECT epoch FROM follower WHERE id = 1") else { return nil }
        return try StoredRow(row, table: "follower", key: "1").value("epoch", as: String?.self)
    }

    func keep(epoch: String) throws {
        try transaction.execute("UPDATE follower SET epoch = ? WHERE id = 1", epoch)
    }

    /// 1 when the delivery is new, 0 when its id was kept already.
    @discardableResult
    func insert(_ delivery: NewDelivery, now: Date) throws -> Int {
        try Sealed.insert(delivery, transaction, cipher: try keys.clientCipher(transaction, clientId: delivery.clientId), now: now)
    }

    private func apply(_ change: ReminderChange) throws {
        switch change {
        case .keep:
            return
        case .schedule(let entry):
            let sealed = try keys.clientCipher(transaction, clientId: entry.clientId)
                .seal(try WireJSON.encode(entry.appointment), binding: Sealed.reminder(entry.appointmentId))
            try transaction.execute(
                """
                INSERT INTO reminders (appointment_id, client_id, reference, start, due_at, appointment, state) VALUES (?, ?, ?, ?, ?, ?, 'scheduled')
                ON CONFLICT (appointment_id) DO UPDATE SET client_id = excluded.client_id, reference = excluded.reference, start = excluded.start,
                    due_at = excluded.due_at, appointment = excluded.appointment,
                    state = CASE WHEN reminders.start = excluded.start THEN reminders.state ELSE 'scheduled' END
                """,
                entry.appointmentId, entry.clientId, entry.reference, Millis.of(entry.start), Millis.of(entry.dueAt), sealed
            )
            try withdrawReminders(of: entry.appointmentId, except: entry.start)
        case .drop(let appointmentId):
            try transaction.execute("UPDATE reminders SET state = 'dropped' WHERE appointment_id = ? AND state IN ('scheduled', 'queued')", appointmentId)
            try withdrawReminders(of: appointmentId, except: nil)
        }
    }

    /// A reminder still waiting to go for another time than `start` is withdrawn.
    private func withdrawReminders(of appointmentId: String, except start: Date?) throws {
        let keep = start.map { "\(ReminderKey(appointmentId: appointmentId, start: $0))." } ?? ""
        let withdrawn = try transaction.rows(
            """
            SELECT id, client_id FROM deliveries
            WHERE appointment_id = ? AND purpose = ? AND state = 'pending' AND (? = '' OR substr(id, 1, length(?)) <> ?)
            """,
            appointmentId, MessagePurpose.clientReminder.rawValue, keep, keep, keep
        )
        for row in withdrawn {
            // Sealed like every error, so a delivery's errors are read one way.
            let stored = StoredRow(row, table: "deliveries", keyColumn: "id")
            let id: String = try stored.value("id")
            let note = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, transaction)
                .seal("the appointment was moved or cancelled", binding: Sealed.lastError(id))
            try transaction.execute("UPDATE deliveries SET state = 'cancelled', last_error = ? WHERE id = ? AND state = 'pending'", note, id)
        }
    }

    // MARK: Sending

    /// This instance's claims, left `sending` when it stopped, go again at once, marked in
    /// doubt; another instance's claims are left to their leases. Returns how many.
    func releaseOwnClaims() throws -> Int {
        try transaction.execute("""
            UPDATE deliveries SET state = 'pending', in_doubt = 1, claimed_by = NULL, lease_until = NULL
            WHERE state = 'sending' AND claimed_by = ?
            """, claimant.instance)
    }

    /// Takes up to `limit` due deliveries, oldest first: pending ones, and ones whose claimant's
    /// lease ran out (taken over in doubt: the claimant may have sent it). On PostgreSQL the
    /// rows are locked as they are read, skipping those another instance is claiming now.
    func claimDue(now: Date, limit: Int) throws -> [StoredDelivery] {
        let locking = transaction.engine == .postgresql ? " FOR UPDATE OF d SKIP LOCKED" : ""
        let rows = try transaction.rows(
            """
            SELECT d.* FROM deliveries d
            WHERE ((d.state = 'pending' AND d.next_attempt_at <= ?) OR (d.state = 'sending' AND d.lease_until <= ?)) AND \(CRMLeads.mayGo(transaction.engine))
            ORDER BY d.next_attempt_at, d.created_at LIMIT ?\(locking)
            """,
            Millis.of(now), Millis.of(now), limit
        )
        var claimed: [StoredDelivery] = []
        for row in rows {
            var delivery = try StoredDelivery(row: row, keys: keys, transaction)
            let takenOver = delivery.state == .sending
            try transaction.execute(
                """
                UPDATE deliveries SET state = 'sending', attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?),
                    claimed_by = ?, lease_until = ?, in_doubt = CASE WHEN state = 'sending' THEN 1 ELSE in_doubt END
                WHERE id = ?
                """,
                Millis.of(now), claimant.instance, Millis.of(claimant.leaseEnd(from: now)), delivery.delivery.id
            )
            delivery.state = .sending
            delivery.attempts += 1
            delivery.firstAttemptAt = delivery.firstAttemptAt ?? now
            delivery.inDoubt = delivery.inDoubt || takenOver
            claimed.append(delivery)
        }
        return claimed
    }

    /// The earliest time a delivery that may go is due, if any: a pending one's next attempt,
    /// or when a claim's lease runs out (a CRM change waiting for the one before it is not: the
    /// dispatcher is woken when that one is done).
    func nextDue() throws -> Date? {
        let row = try transaction.row("""
            SELECT min(CASE WHEN d.state = 'pending' THEN d.next_attempt_at ELSE d.lease_until END) AS due FROM deliveries d
            WHERE (d.state = 'pending' OR (d.state = 'sending' AND d.claimed_by <> ?)) AND \(CRMLeads.mayGo(transaction.engine))
            """, claimant.instance)
        return try row.flatMap { try StoredRow($0, table: "deliveries", key: "due").optionalInstant("due") }
    }

    /// Records the outcome of attempts: sent, to be retried at `retryAt`, or failed for good;
    /// only while the claim is still this instance's (a late outcome of a claim another
    /// instance took over is refused: its own outcome counts). Returns the ids refused.
    func record(_ outcomes: [(id: String, outcome: AttemptOutcome)], at now: Date) throws -> [String] {
        var refused: [String] = []
        for (id, outcome) in outcomes {
            guard let row = try transaction.row("SELECT * FROM deliveries WHERE id = ? AND state = 'sending' AND claimed_by = ?", id, claimant.instance) else {
                refused.append(id)
                continue
            }
            let stored = StoredRow(row, table: "deliveries", key: id)
            let settled = "claimed_by = NULL, lease_until = NULL"
            switch outcome {
            case .sent:
                try transaction.execute("UPDATE deliveries SET state = 'sent', sent_at = ?, last_error = NULL, \(settled) WHERE id = ?", Millis.of(now), id)
                try transaction.execute("INSERT INTO attempts (delivery_id, at, outcome) VALUES (?, ?, 'sent')", id, Millis.of(now))
            case .retry(let answer, let at):
                let error = try failedAttempt(stored, "retry", answer, at: now)
                try transaction.execute("UPDATE deliveries SET state = 'pending', next_attempt_at = ?, last_error = ?, \(settled) WHERE id = ?",
                                        Millis.of(at), error, id)
            case .failed(let answer):
                let error = try failedAttempt(stored, "failed", answer, at: now)
                try transaction.execute("UPDATE deliveries SET state = 'failed', last_error = ?, \(settled) WHERE id = ?", error, id)
            }
        }
        return refused
    }

    /// The attempt recorded, with its error masked and sealed; returns the error sealed for the
    /// delivery's `last_error`.
    private func failedAttempt(_ stored: StoredRow, _ outcome: String, _ answer: String, at now: Date) throws -> [UInt8] {
        let id = stored.key
        let cipher = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, transaction)
        let recipient = try Sealed.openText(stored, "recipient", binding: Sealed.recipient(id), cipher: cipher)
        let error = ContactMasking.scrub(answer, recipient: recipient, channel: try stored.parsed("channel", Channel.init(rawValue:)))
        return try Sealed.insertFailedAttempt(id, outcome: outcome, error: error, at: now, transaction, cipher: cipher)
    }

    /// Sends one delivery again, whatever its state but `sending` (an operator's decision): it
    /// becomes pending now, with a fresh give-up age. Nil when there is no such delivery.
    func retry(id: String, now: Date) throws -> StoredDelivery? {
        try transaction.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, first_attempt_at = NULL WHERE id = ? AND state <> 'sending'", Millis.of(now), id)
        return try delivery(id: id)
    }

    // MARK: The CRM's leads

    func lead(appointmentId: String, provider: String) throws -> String? {
        try transaction.row("SELECT lead_id FROM crm_leads WHERE provider = ? AND appointment_id = ?", provider, appointmentId)
            .map { try StoredRow($0, table: "crm_leads", key: appointmentId).value("lead_id") }
    }

    func keepLead(appointmentId: String, provider: String, leadId: String, at now: Date) throws {
        try transaction.execute("""
            INSERT INTO crm_leads (provider, appointment_id, lead_id, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (provider, appointment_id) DO NOTHING
            """, provider, appointmentId, leadId, Millis.of(now))
    }

    // MARK: Reminders

    func dueReminders(now: Date, limit: Int) throws -> [ReminderEntry] {
        try transaction.rows("SELECT * FROM reminders WHERE state = 'scheduled' AND due_at <= ? ORDER BY due_at LIMIT ?", Millis.of(now), limit)
            .map { try ReminderEntry(row: $0, keys: keys, transaction) }
    }

    /// Only if the reminder is still scheduled for the same start: of two instances queueing
    /// it at once, the second waits on the row and then finds it queued.
    func queue(_ reminder: ReminderEntry, deliveries: [NewDelivery], now: Date) throws {
        let state = deliveries.isEmpty ? ReminderState.dropped : .queued
        let changed = try transaction.execute("UPDATE reminders SET state = ? WHERE appointment_id = ? AND start = ? AND state = 'scheduled'",
                                              state.rawValue, reminder.appointmentId, Millis.of(reminder.start))
        guard changed == 1 else { return }
        for delivery in deliveries { try insert(delivery, now: now) }
    }

    func queue(_ deliveries: [NewDelivery], now: Date) throws -> Int {
        try deliveries.reduce(0) { queued, delivery in queued + (try insert(delivery, now: now)) }
    }

    func remindersToAcknowledge() throws -> [ReminderEntry] {
        try transaction.rows("SELECT * FROM reminders WHERE state = 'queued'").map { try ReminderEntry(row: $0, keys: keys, transaction) }.filter { reminder in
            let email = reminder.key.deliveryId(.email)
            let sent = try transaction.row("SELECT state FROM deliveries WHERE id = ?", email)
            return try sent.map { try StoredRow($0, table: "deliveries", key: email).value("state", as: String.self) } == DeliveryState.sent.rawValue
        }
    }

    func acknowledge(appointmentId: String, start: Date) throws {
        try transaction.execute("UPDATE reminders SET state = 'acknowledged' WHERE appointment_id = ? AND start = ? AND state = 'queued'",
                                appointmentId, Millis.of(start))
    }

    func reminder(appointmentId: String) throws -> ReminderEntry? {
        try transaction.row("SELECT * FROM reminders WHERE appointment_id = ?", appointmentId).map { try ReminderEntry(row: $0, keys: keys, transaction) }
    }

    // MARK: Reading

    func deliveries(reference: String) throws -> [StoredDelivery] {
        try transaction.rows("SELECT * FROM deliveries WHERE reference = ? ORDER BY created_at, id", reference)
            .map { try StoredDelivery(row: $0, keys: keys, transaction) }
    }

    func lastQueued(reference: String, idPrefix: String) throws -> Date? {
        let row = try transaction.row("SELECT MAX(created_at) AS newest FROM deliveries WHERE reference = ? AND substr(id, 1, length(?)) = ?",
                                      reference, idPrefix, idPrefix)
        return try row.flatMap { try StoredRow($0, table: "deliveries", key: reference).optionalInstant("newest") }
    }

    func deliveries(clientIds: [String]) throws -> [StoredDelivery] {
        let list = SQLList(clientIds)
        return try transaction.rows("SELECT * FROM deliveries WHERE client_id IN \(list.sql) ORDER BY created_at, id", list.arguments)
            .map { try StoredDelivery(row: $0, keys: keys, transaction) }
    }

    func delivery(id: String) throws -> StoredDelivery? {
        try transaction.row("SELECT * FROM deliveries WHERE id = ?", id).map { try StoredDelivery(row: $0, keys: keys, transaction) }
    }

    func failed(limit: Int) throws -> [StoredDelivery] {
        try transaction.rows("SELECT * FROM deliveries WHERE state = 'failed' ORDER BY created_at DESC LIMIT ?", limit)
            .map { try StoredDelivery(row: $0, keys: keys, transaction) }
    }

    func attempts(deliveryId: String) throws -> [DeliveryAttempt] {
        let sql = "SELECT a.*, d.client_id, d.erased_at FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = ? ORDER BY a.id"
        return try transaction.rows(sql, deliveryId).map { row in
            let stored = StoredRow(row, table: "attempts", keyColumn: "id")
            // An erased message's attempts keep their time and outcome; their errors are gone.
            guard try stored.optionalInstant("erased_at") == nil else {
                return DeliveryAttempt(at: try stored.instant("at"), outcome: try stored.value("outcome"), error: nil)
            }
            let cipher = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, transaction)
            return DeliveryAttempt(at: try stored.instant("at"), outcome: try stored.value("outcome"),
                                   error: try Sealed.openOptionalText(stored, "error", binding: Sealed.attemptError(try stored.value("id")), cipher: cipher))
        }
    }

    func counts() throws -> [DeliveryState: Int] {
        var counts: [DeliveryState: Int] = [:]
        for row in try transaction.rows("SELECT state, count(*) AS n FROM deliveries GROUP BY state") {
            let stored = StoredRow(row, table: "deliveries", keyColumn: "state")
            counts[try stored.parsed("state", DeliveryState.init(rawValue:))] = try stored.value("n")
        }
        return counts
    }

    func recordAudit(_ entry: AuditEntry) throws {
        try AuditTrail.record(entry, in: transaction)
    }
}

/// The result of one attempt, as the store keeps it.
public enum AttemptOutcome: Sendable, Equatable {
    case sent
    case retry(error: String, at: Date)
    case failed(error: String)
}

extension StoredDelivery {
    init(row: SQLRow, keys: DataKeys, _ transaction: some SQLTransaction) throws {
        let stored = StoredRow(row, table: "deliveries", keyColumn: "id")
        let id: String = try stored.value("id")
        let clientId: String = try stored.value("client_id")
        // An erased message keeps what happened to it, and nothing of whom or what it was.
        let erased = try stored.optionalInstant("erased_at") != nil
        let cipher = erased ? nil : try Sealed.cipher(of: clientId, stored, keys: keys, transaction)
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
    init(row: SQLRow, keys: DataKeys, _ transaction: some SQLTransaction) throws {
        let stored = StoredRow(row, table: "reminders", keyColumn: "appointment_id")
        let cipher = try Sealed.cipher(of: try stored.value("client_id"), stored, keys: keys, transaction)
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
