import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import FieldEncryption
import Foundation
import SharedTables
import StoreSQL

/// bookingd's store logic on one transaction, in the SQL both engines share: every read and
/// write the `BookingStore` protocol names. An engine's shell (`BookingStoreShell`) opens the
/// transaction, commits it, and does what only its engine has.
public struct BookingTransaction<Transaction: SQLTransaction> {
    let transaction: Transaction
    let ciphers: ClientCiphers<Transaction>

    init(_ transaction: Transaction, keys: DataKeys) {
        self.transaction = transaction
        ciphers = ClientCiphers(transaction, keys: keys)
    }

    var keys: DataKeys { ciphers.keys }

    // MARK: Changes

    func storedAnswer(idempotencyKey: String, command: String, digest: String) throws -> ChangeResult? {
        try IdempotencyRecord.answer(transaction, key: idempotencyKey, command: command, digest: digest, ciphers: ciphers)
    }

    // MARK: Appointments

    func appointment(reference: BookingReference) throws -> Appointment? {
        try transaction.row("SELECT * FROM appointments WHERE reference = ?", reference.description)
            .map { try Appointment(row: $0, ciphers: ciphers) }
    }

    func history(reference: BookingReference) throws -> [HistoryEntryBody]? {
        guard let appointment = try transaction.row("SELECT id, client_id FROM appointments WHERE reference = ?", reference.description) else {
            return nil
        }
        let owner = StoredRow(appointment, table: "appointments", key: reference.description)
        let id: String = try owner.value("id"), clientId: String = try owner.value("client_id")
        return try transaction.rows("SELECT * FROM history WHERE appointment_id = ? ORDER BY id", id).map { row in
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

    func personalData(reference: BookingReference, eventId: String?) throws -> PersonalData? {
        guard let appointment = try appointment(reference: reference) else { return nil }
        var clientMessage: String?
        // The change's history row: the same appointment and command as the event.
        if let eventId, let history = try transaction.row("""
            SELECT h.id, h.reason FROM events e
            JOIN history h ON h.appointment_id = e.appointment_id AND h.correlation_id = e.correlation_id
            WHERE e.id = ? AND e.appointment_id = ? AND h.actor = 'client'
            ORDER BY h.id DESC LIMIT 1
            """, eventId, appointment.id.uuidString.lowercased()) {
            clientMessage = try ciphers.reason(of: StoredRow(history, table: "history", keyColumn: "id"), clientId: appointment.clientId.uuidString.lowercased())
        }
        return PersonalData(contact: appointment.contactInfo, topic: appointment.topic, clientMessage: clientMessage)
    }

    func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int, email: String?, phone: String?,
                      after: BookingReference?) throws -> [Appointment] {
        var clauses: [String] = []
        var arguments: [SQLValue] = []
        if let from {
            clauses.append("start_ms >= ?")
            arguments.append(Millis.of(from).sqlValue)
        }
        if let to {
            clauses.append("start_ms < ?")
            arguments.append(Millis.of(to).sqlValue)
        }
        if let status {
            clauses.append("status = ?")
            arguments.append(status.rawValue.sqlValue)
        }
        // One contact's appointments: by its email (in any case), by its phone, or by either,
        // through their blind indexes.
        let index = keys.index
        switch (email, phone) {
        case let (email?, phone?):
            clauses.append("(email_index = ? OR phone_index = ?)")
            arguments += [index.email(email).sqlValue, index.phone(phone).sqlValue]
        case let (email?, nil):
            clauses.append("email_index = ?")
            arguments.append(index.email(email).sqlValue)
        case let (nil, phone?):
            clauses.append("phone_index = ?")
            arguments.append(index.phone(phone).sqlValue)
        case (nil, nil):
            break
        }
        if let after {
            clauses.append("(start_ms, consultant_id, reference) > (SELECT start_ms, consultant_id, reference FROM appointments WHERE reference = ?)")
            arguments.append(after.description.sqlValue)
        }
        let condition = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments.append(limit.sqlValue)
        return try transaction.rows("SELECT * FROM appointments \(condition) ORDER BY start_ms, consultant_id, reference LIMIT ?", arguments)
            .map { try Appointment(row: $0, ciphers: ciphers) }
    }

    func expiredHolds(at now: Date, limit: Int) throws -> [BookingReference] {
        try transaction.rows(
            "SELECT reference FROM appointments WHERE status = 'scheduled' AND hold_expires_ms <= ? ORDER BY hold_expires_ms LIMIT ?", Millis.of(now), limit
        ).map(bookingReference)
    }

    /// Whether a contact ever confirmed a hold or came to a consultation.
    func isKnownContact(email: String) throws -> Bool {
        try transaction.row("""
            SELECT 1 AS known FROM appointments a
            WHERE a.email_index = ?
              AND (a.status = 'completed' OR EXISTS (SELECT 1 FROM history h WHERE h.appointment_id = a.id AND h.kind = 'confirmed'))
            LIMIT 1
            """, keys.index.email(email)) != nil
    }

    // MARK: Events

    func events(after sequence: UInt64, limit: Int) throws -> (events: [EventBody], lastSequence: UInt64) {
        let last = try EventLog.lastSequence(transaction)
        let events = try transaction.rows("SELECT sequence, body FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", Int64(sequence), limit)
            .map { row in
                let stored = StoredRow(row, table: "events", keyColumn: "sequence")
                let body = try stored.bytes("body")
                do {
                    return try WireJSON.decode(EventBody.self, from: body)
                } catch {
                    throw stored.unreadable("body: \(error)")
                }
            }
        return (events, last)
    }

    func outbox(after sequence: UInt64, limit: Int) throws -> [OutboxEvent] {
        try transaction.rows(
            "SELECT sequence, id, kind, body, correlation_id, created_at FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", Int64(sequence), limit
        ).map { row in
            let stored = StoredRow(row, table: "events", keyColumn: "sequence")
            return OutboxEvent(
                sequence: UInt64(try stored.value("sequence", as: Int64.self)), id: try stored.value("id"),
                kind: try stored.parsed("kind", EventKind.init(rawValue:)), occurredAt: try stored.instant("created_at"),
                correlationId: try stored.value("correlation_id"), body: try stored.bytes("body")
            )
        }
    }

    /// Active appointments starting in `[from, to)` and the sequence number that view is
    /// consistent with (the caller's one read transaction makes them of the same instant).
    func snapshot(from: Date, to: Date) throws -> (sequence: UInt64, booked: [BookedSlotBody]) {
        let last = try EventLog.lastSequence(transaction)
        let booked = try transaction.rows(
            "SELECT reference, consultant_id, start_ms FROM appointments WHERE \(AppointmentStatus.activeCondition) AND start_ms >= ? AND start_ms < ? ORDER BY start_ms",
            Millis.of(from), Millis.of(to)
        ).map { row in
            let stored = StoredRow(row, table: "appointments", keyColumn: "reference")
            return BookedSlotBody(consultantId: try stored.value("consultant_id"), start: try stored.instant("start_ms"))
        }
        return (last, booked)
    }

    func publishedThrough() throws -> UInt64 {
        guard let row = try transaction.row("SELECT published_through FROM publisher WHERE id = 1") else { return 0 }
        return UInt64(try StoredRow(row, table: "publisher", key: "1").value("published_through", as: Int64.self))
    }

    /// Never moves back.
    func setPublishedThrough(_ sequence: UInt64) throws {
        try transaction.execute("UPDATE publisher SET published_through = ? WHERE id = 1 AND published_through < ?", Int64(sequence), Int64(sequence))
    }

    // MARK: Settings and the audit trail

    func recordAudit(_ entry: AuditEntry) throws {
        try AuditTrail.record(entry, in: transaction)
    }

    private func setting(_ key: String) throws -> String? {
        try transaction.row("SELECT value FROM settings WHERE key = ?", key).map { row in
            try StoredRow(row, table: "settings", key: key).value("value")
        }
    }

    private func setSetting(_ key: String, to value: String?) throws {
        if let value {
            try transaction.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
        } else {
            try transaction.execute("DELETE FROM settings WHERE key = ?", key)
        }
    }

    /// Made on first use, in a write transaction.
    func confirmationKey() throws -> [UInt8] {
        if let stored = try setting("confirmation_key"), let key = Data(base64Encoded: stored), key.count == 32 {
            return Array(key)
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try setSetting("confirmation_key", to: Data(key).base64EncodedString())
        return key
    }

    func pauseReason() throws -> String? {
        try setting("paused")
    }

    func setPause(_ reason: String?, user: String?, correlationId: String, at: Date) throws {
        try setSetting("paused", to: reason)
        try recordAudit(AuditEntry(command: reason == nil ? "resume" : "pause", user: user, outcome: reason.map { "ok: \($0)" } ?? "ok",
                                   correlationId: correlationId, at: at))
    }

    func pruneIdempotencyRecords(olderThan cutoff: Date) throws -> Int {
        try transaction.execute("DELETE FROM idempotency WHERE created_at < ?", Millis.of(cutoff))
    }

    // MARK: Attendance and analytics

    func reportFacts(from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, now: Date, unmarkedAfter: TimeInterval) throws -> ReportFacts {
        let range = from.start(in: zone)..<to.adding(days: 1).start(in: zone)
        return ReportFacts(from: from, to: to, zone: zone, consultantId: consultantId,
                           bookings: try Visits.bookings(transaction, in: range, consultantId: consultantId),
                           // The funnel is the page's, whoever was booked: a consultant's report has none.
                           visits: consultantId == nil ? try Visits.started(transaction, in: range) : [],
                           now: now, unmarkedAfter: unmarkedAfter)
    }

    // MARK: Private calendar feeds

    func feedAppointments(consultantId: String?, from: Date, after: String?, limit: Int) throws -> [Appointment] {
        try Feeds.appointmentRows(transaction, consultantId: consultantId, from: from, after: after, limit: limit)
            .map { try Appointment(row: $0, ciphers: ciphers) }
    }

    // MARK: Personal data

    func clientIds(of subject: DataSubject) throws -> [UUID] {
        try ErasureWriter.clientIds(transaction, of: subject, index: keys.index).compactMap(UUID.init(uuidString:))
    }

    func activeAppointments(ofClients clientIds: [UUID], after now: Date) throws -> [BookingReference] {
        let list = SQLList(clientIds.map { $0.uuidString.lowercased() })
        return try transaction.rows(
            "SELECT reference FROM appointments WHERE client_id IN \(list.sql) AND \(AppointmentStatus.activeCondition) AND start_ms > ? ORDER BY start_ms",
            list.arguments + [Millis.of(now).sqlValue]
        ).map(bookingReference)
    }

    var erasure: ErasureWriter<Transaction> { ErasureWriter(transaction: transaction, keys: keys) }

    /// Everything bookingd holds about those clients.
    func export(clients clientIds: [UUID]) throws -> PersonalDataExport {
        let ids = clientIds.map { $0.uuidString.lowercased() }
        let list = SQLList(ids)
        let bookings = try transaction.rows("SELECT * FROM appointments WHERE client_id IN \(list.sql) ORDER BY start_ms, reference", list.arguments)
            .map { row in
                let appointment = try Appointment(row: row, ciphers: ciphers)
                return PersonalDataExport.Booking(appointment: appointment, history: try history(reference: appointment.bookingReference) ?? [])
            }
        return PersonalDataExport(clientIds: clientIds, bookings: bookings, erasures: try ErasureLedger.records(transaction, clientIds: ids),
                                  consents: try Consents.records(clientIds: ids, in: transaction))
    }
}

/// The `reference` column of a row of `appointments`.
private func bookingReference(_ row: SQLRow) throws -> BookingReference {
    try StoredRow(row, table: "appointments", keyColumn: "reference").parsed("reference") { try BookingReference(parsing: $0) }
}
