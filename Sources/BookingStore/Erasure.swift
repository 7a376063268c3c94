import BookingDomain
import BookingProtocol
import FieldEncryption
import Foundation
import SharedTables
import StoreSQL

/// Whose personal data an export or an erasure is about: found by one of their contacts (through
/// the blind indexes) or by one of their bookings (through its client).
public enum DataSubject: Sendable, Equatable {
    case email(String)
    case phone(String)
    case reference(BookingReference)
}

/// Everything bookingd holds about one person.
public struct PersonalDataExport: Sendable {
    public struct Booking: Sendable {
        public var appointment: Appointment
        /// With the client's own words (and the admins' reasons), opened.
        public var history: [HistoryEntryBody]
    }

    public var clientIds: [UUID]
    public var bookings: [Booking]
    /// The erasures that concern them, oldest first.
    public var erasures: [ErasureRecord]
    /// Their consents with the booking each came with, oldest first.
    public var consents: [(reference: String, record: ConsentRecord)]
}

/// Erasure inside one write transaction: everything of it commits together or nothing does, so a
/// crash leaves either the whole act or none of it (and the request can be sent again).
struct ErasureWriter<Transaction: SQLTransaction> {
    let transaction: Transaction
    let keys: DataKeys

    /// The clients whose data `subject` names: by the blind index of an email or a phone, or the
    /// client of a booking. Erased appointments keep their indexes, so a repeat finds the same
    /// clients (and erases nothing).
    static func clientIds(_ transaction: Transaction, of subject: DataSubject, index: BlindIndex) throws -> [String] {
        let rows: [SQLRow]
        switch subject {
        case .email(let email):
            let blind = index.email(email)
            rows = try transaction.rows("""
                SELECT id AS client_id FROM clients WHERE email_index = ?
                UNION SELECT client_id FROM appointments WHERE email_index = ?
                ORDER BY 1
                """, blind, blind)
        case .phone(let phone):
            rows = try transaction.rows("SELECT DISTINCT client_id FROM appointments WHERE phone_index = ? ORDER BY 1", index.phone(phone))
        case .reference(let reference):
            rows = try transaction.rows("SELECT client_id FROM appointments WHERE reference = ?", reference.description)
        }
        return try rows.map { row in try StoredRow(row, table: "appointments", keyColumn: "client_id").value("client_id") }
    }

    /// The one text column `sql` selects, of every row.
    private func texts(_ sql: String, _ arguments: [SQLValue], column: String, table: String) throws -> [String] {
        try transaction.rows(sql, arguments).map { row in try StoredRow(row, table: table, keyColumn: column).value(column) }
    }

    /// Erases everything of `clientIds` (a request): every appointment's contact, every history
    /// reason, every stored reply, their keys. A repeat finds nothing left and records nothing.
    func eraseClients(_ clientIds: [String], cancelled: Int, user: String, correlationId: String, at now: Date) throws -> ErasureRecord {
        let list = SQLList(clientIds)
        let appointmentIds = try texts(
            "SELECT id FROM appointments WHERE client_id IN \(list.sql) AND contact IS NOT NULL ORDER BY start_ms, id", list.arguments,
            column: "id", table: "appointments"
        )
        try eraseContacts(appointmentIds, at: now)
        let historyEntries = try transaction.execute("""
            UPDATE history SET reason = NULL
            WHERE reason IS NOT NULL AND appointment_id IN (SELECT id FROM appointments WHERE client_id IN \(list.sql))
            """, list.arguments)
        let idempotencyRecords = try transaction.execute("DELETE FROM idempotency WHERE client_id IN \(list.sql)", list.arguments)
        try Consents.eraseAddresses(where: .clientId, in: clientIds, transaction: transaction)
        let clientKeys = try clientIds.filter { try keys.destroyClientKey(transaction, clientId: $0) }.count
        let record = ErasureRecord(
            id: UUID(), at: now, user: user, reason: .request, clientIds: clientIds.compactMap(UUID.init(uuidString:)),
            appointments: appointmentIds.count, historyEntries: historyEntries, idempotencyRecords: idempotencyRecords,
            clientKeys: clientKeys, cancelled: cancelled
        )
        try finish(record, appointmentIds: appointmentIds, actor: .admin, correlationId: correlationId, command: "erase")
        return record
    }

    /// Erases the personal data of at most `limit` appointments past `rule`: each one's contact
    /// and history reasons, and a client's key (with their stored replies) once none of their
    /// appointments holds personal data. nil when none was due.
    func eraseExpired(_ rule: RetentionRule, limit: Int, correlationId: String, at now: Date) throws -> ErasureRecord? {
        let cutoff = Millis.of(rule.cutoff(now: now))
        // What may be due, by SQL; the rule itself decides.
        let candidates = try transaction.rows("""
            SELECT id, client_id, status, end_ms, updated_at, reference FROM appointments
            WHERE contact IS NOT NULL
              AND ((status = 'cancelled' AND updated_at <= ?) OR (status IN ('confirmed', 'completed', 'no_show') AND end_ms <= ?))
            ORDER BY end_ms, id LIMIT ?
            """, cutoff, cutoff, limit)
        var due: [(id: String, clientId: String)] = []
        for row in candidates {
            let stored = StoredRow(row, table: "appointments", keyColumn: "reference")
            let status = try stored.parsed("status", AppointmentStatus.init(rawValue:))
            if rule.isDue(status: status, end: try stored.instant("end_ms"), updatedAt: try stored.instant("updated_at"), now: now) {
                due.append((try stored.value("id"), try stored.value("client_id")))
            }
        }
        guard !due.isEmpty else { return nil }
        let appointmentIds = due.map(\.id)
        try eraseContacts(appointmentIds, at: now)
        try Consents.eraseAddresses(where: .appointmentId, in: appointmentIds, transaction: transaction)
        var historyEntries = 0
        for id in appointmentIds {
            historyEntries += try transaction.execute("UPDATE history SET reason = NULL WHERE appointment_id = ? AND reason IS NOT NULL", id)
        }
        var clientIds: [String] = []
        for clientId in due.map(\.clientId) where !clientIds.contains(clientId) { clientIds.append(clientId) }
        var idempotencyRecords = 0, clientKeys = 0
        for clientId in clientIds {
            let holdsData = try transaction.row("SELECT 1 AS held FROM appointments WHERE client_id = ? AND contact IS NOT NULL LIMIT 1", clientId) != nil
            guard !holdsData else { continue }
            idempotencyRecords += try transaction.execute("DELETE FROM idempotency WHERE client_id = ?", clientId)
            if try keys.destroyClientKey(transaction, clientId: clientId) { clientKeys += 1 }
        }
        let record = ErasureRecord(
            id: UUID(), at: now, user: "bookingd", reason: .retention, clientIds: clientIds.compactMap(UUID.init(uuidString:)),
            appointments: appointmentIds.count, historyEntries: historyEntries, idempotencyRecords: idempotencyRecords, clientKeys: clientKeys
        )
        try finish(record, appointmentIds: appointmentIds, actor: .system, correlationId: correlationId, command: "retention")
        return record
    }

    private func eraseContacts(_ appointmentIds: [String], at now: Date) throws {
        for id in appointmentIds {
            try transaction.execute("UPDATE appointments SET contact = NULL, erased_at = ? WHERE id = ?", Millis.of(now), id)
        }
    }

    /// The record, its clients, the audit row and a `booking.erased` event per appointment. A
    /// repeat that erased nothing keeps no record and publishes nothing (its audit row stays).
    private func finish(_ record: ErasureRecord, appointmentIds: [String], actor: Actor, correlationId: String, command: String) throws {
        try AuditTrail.record(
            AuditEntry(command: command, user: record.user, outcome: record.erasedNothing ? "ok: nothing left to erase" : "ok: erasure \(record.id.uuidString.lowercased())",
                       correlationId: correlationId, at: record.at, actor: actor.rawValue),
            in: transaction
        )
        guard !record.erasedNothing else { return }
        try ErasureLedger.insert(record, in: transaction)
        let ciphers = ClientCiphers(transaction, keys: keys)
        var events: [PendingEvent] = []
        for id in appointmentIds {
            guard let row = try transaction.row("SELECT * FROM appointments WHERE id = ?", id) else { continue }
            let appointment = try Appointment(row: row, ciphers: ciphers)
            // The body has an empty contact already: nothing personal to mask.
            let event = EventBody(sequence: 0, id: UUID().uuidString.lowercased(), kind: .erased, occurredAt: record.at,
                                  appointment: AppointmentBody(appointment), actor: actor.rawValue, correlationId: correlationId)
            events.append(PendingEvent(event: event, appointmentId: id))
        }
        try EventLog.append(events, in: transaction)
    }
}

/// The erasure records as the database keeps them.
public enum ErasureLedger {
    static func insert(_ record: ErasureRecord, in transaction: some SQLTransaction) throws {
        let id = record.id.uuidString.lowercased()
        try transaction.execute("""
            INSERT INTO erasures (id, at, "user", reason, appointments, history_entries, idempotency_records, client_keys, cancelled)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, id, Millis.of(record.at), record.user, record.reason.rawValue, record.appointments, record.historyEntries,
            record.idempotencyRecords, record.clientKeys, record.cancelled)
        for clientId in record.clientIds {
            try transaction.execute("INSERT INTO erasure_clients (erasure_id, client_id) VALUES (?, ?)", id, clientId.uuidString.lowercased())
        }
    }

    /// The records that concern any of `clientIds` (all of them when nil), oldest first.
    static func records(_ transaction: some SQLTransaction, clientIds: [String]?) throws -> [ErasureRecord] {
        let rows: [SQLRow]
        if let clientIds {
            let list = SQLList(clientIds)
            rows = try transaction.rows("""
                SELECT * FROM erasures WHERE id IN (SELECT erasure_id FROM erasure_clients WHERE client_id IN \(list.sql)) ORDER BY at, id
                """, list.arguments)
        } else {
            rows = try transaction.rows("SELECT * FROM erasures ORDER BY at, id")
        }
        return try rows.map { row in
            let stored = StoredRow(row, table: "erasures", keyColumn: "id")
            let id: String = try stored.value("id")
            let clients = try transaction.rows("SELECT client_id FROM erasure_clients WHERE erasure_id = ? ORDER BY client_id", id).map { row in
                try StoredRow(row, table: "erasure_clients", keyColumn: "client_id").value("client_id", as: String.self)
            }
            return ErasureRecord(
                id: try stored.parsed("id", UUID.init(uuidString:)), at: try stored.instant("at"), user: try stored.value("user"),
                reason: try stored.parsed("reason", ErasureReason.init(rawValue:)), clientIds: clients.compactMap(UUID.init(uuidString:)),
                appointments: try stored.value("appointments"), historyEntries: try stored.value("history_entries"),
                idempotencyRecords: try stored.value("idempotency_records"), clientKeys: try stored.value("client_keys"),
                cancelled: try stored.value("cancelled")
            )
        }
    }
}
