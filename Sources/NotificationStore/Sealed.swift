import BookingProtocol
import FieldEncryption
import Foundation
import Notifications
import SharedTables
import StoreSQL

/// What notifyd's database keeps sealed, and where each sealed value belongs: a delivery's
/// recipient, payload (the rendered message) and errors (a server's answer may quote the
/// recipient, or more), and a reminder's appointment; each under its client's data key and
/// bound to its row. Errors are sealed with the recipient masked in them, as `bookctl` shows them.
enum Sealed {
    static func recipient(_ deliveryId: String) -> FieldBinding {
        FieldBinding(table: "deliveries", column: "recipient", row: deliveryId)
    }

    static func payload(_ deliveryId: String) -> FieldBinding {
        FieldBinding(table: "deliveries", column: "payload", row: deliveryId)
    }

    static func lastError(_ deliveryId: String) -> FieldBinding {
        FieldBinding(table: "deliveries", column: "last_error", row: deliveryId)
    }

    static func attemptError(_ attemptId: Int64) -> FieldBinding {
        FieldBinding(table: "attempts", column: "error", row: String(attemptId))
    }

    static func reminder(_ appointmentId: String) -> FieldBinding {
        FieldBinding(table: "reminders", column: "appointment", row: appointmentId)
    }

    // MARK: Rows

    /// 1 when the delivery is new; 0 when its id is kept already (another instance, or a replay, queued it).
    static func insert(_ delivery: NewDelivery, _ transaction: some SQLTransaction, cipher: FieldCipher, now: Date) throws -> Int {
        try transaction.execute(
            """
            INSERT INTO deliveries (id, appointment_id, client_id, reference, purpose, channel, audience, recipient, message_id,
                                    payload, state, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            ON CONFLICT (id) DO NOTHING
            """,
            delivery.id, delivery.appointmentId, delivery.clientId, delivery.reference, delivery.purpose.rawValue, delivery.channel.rawValue,
            delivery.audience.rawValue, cipher.seal(delivery.recipient, binding: recipient(delivery.id)), delivery.messageId,
            cipher.seal(delivery.payload, binding: payload(delivery.id)), Millis.of(now), Millis.of(now)
        )
    }

    /// One attempt that failed, with its error as it is kept; returns the error sealed for the
    /// delivery's `last_error`. `error`: the server's answer with the recipient masked.
    static func insertFailedAttempt(_ deliveryId: String, outcome: String, error: String, at now: Date, _ transaction: some SQLTransaction,
                                    cipher: FieldCipher) throws -> [UInt8] {
        guard let row = try transaction.row("INSERT INTO attempts (delivery_id, at, outcome) VALUES (?, ?, ?) RETURNING id", deliveryId, Millis.of(now), outcome) else {
            throw StoreError.unreadableRow(table: "attempts", key: deliveryId, problem: "the new attempt's id was not returned")
        }
        let attempt: Int64 = try StoredRow(row, table: "attempts", key: deliveryId).value("id")
        try transaction.execute("UPDATE attempts SET error = ? WHERE id = ?", cipher.seal(error, binding: attemptError(attempt)), attempt)
        return cipher.seal(error, binding: lastError(deliveryId))
    }

    /// The data key of the client a row belongs to; gone once that client's data was erased.
    static func cipher(of clientId: String, _ stored: StoredRow, keys: DataKeys, _ transaction: some SQLTransaction) throws -> FieldCipher {
        guard let cipher = try keys.existingClientCipher(transaction, clientId: clientId) else {
            throw stored.unreadable("the data key of client \(clientId) is gone: their data was erased")
        }
        return cipher
    }

    static func open(_ stored: StoredRow, _ column: String, binding: FieldBinding, cipher: FieldCipher) throws(StoreError) -> [UInt8] {
        let sealed = try stored.bytes(column)
        do {
            return try cipher.open(sealed, binding: binding)
        } catch {
            throw stored.unreadable("\(error)")
        }
    }

    static func openText(_ stored: StoredRow, _ column: String, binding: FieldBinding, cipher: FieldCipher) throws(StoreError) -> String {
        guard let text = String(validating: try open(stored, column, binding: binding, cipher: cipher), as: UTF8.self) else {
            throw stored.unreadable("\(binding) opens to bytes that are not UTF-8")
        }
        return text
    }

    /// A column that may be NULL (an error), opened when it is not.
    static func openOptionalText(_ stored: StoredRow, _ column: String, binding: FieldBinding, cipher: FieldCipher) throws(StoreError) -> String? {
        guard try stored.value(column, as: Data?.self) != nil else { return nil }
        return try openText(stored, column, binding: binding, cipher: cipher)
    }

    /// A `booking.erased` event: the appointment's messages lose their recipient, content and
    /// errors (what was not sent yet, or failed, is cancelled: nobody is left to send it to), its
    /// reminder goes, and the data keys that sealed them are destroyed once nothing of theirs is
    /// left: the key of the appointment's rows sealed before clients were known
    /// (`appointment:<id>`), and the client's.
    static func erase(_ erased: ErasedAppointment, _ transaction: some SQLTransaction, keys: DataKeys, now: Date) throws {
        let appointment = erased.appointmentId
        try transaction.execute("UPDATE attempts SET error = NULL WHERE delivery_id IN (SELECT id FROM deliveries WHERE appointment_id = ?)", appointment)
        try transaction.execute("""
            UPDATE deliveries SET recipient = ?, payload = ?, last_error = NULL, erased_at = COALESCE(erased_at, ?),
                                  state = CASE WHEN state IN ('pending', 'sending', 'failed') THEN 'cancelled' ELSE state END,
                                  claimed_by = NULL, lease_until = NULL
                WHERE appointment_id = ?
            """, [UInt8](), [UInt8](), Millis.of(now), appointment)
        try transaction.execute("DELETE FROM reminders WHERE appointment_id = ?", appointment)
        for owner in ["appointment:\(appointment)", erased.clientId] {
            let row = try transaction.row("""
                SELECT (EXISTS (SELECT 1 FROM deliveries WHERE client_id = ? AND erased_at IS NULL)
                    OR EXISTS (SELECT 1 FROM reminders WHERE client_id = ?)) AS holds
                """, owner, owner)
            let holdsData = try row.map { try StoredRow($0, table: "deliveries", key: owner).value("holds", as: Bool.self) } ?? false
            if !holdsData { try keys.destroyClientKey(transaction, clientId: owner) }
        }
    }
}
