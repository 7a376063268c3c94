import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import Notifications
import SQLiteStorage
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

    static func insert(_ delivery: NewDelivery, db: Database, cipher: FieldCipher, now: Date) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO deliveries (id, appointment_id, client_id, reference, purpose, channel, audience, recipient, message_id,
                                                  payload, state, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """,
            arguments: [delivery.id, delivery.appointmentId, delivery.clientId, delivery.reference, delivery.purpose.rawValue, delivery.channel.rawValue,
                        delivery.audience.rawValue, Data(cipher.seal(delivery.recipient, binding: recipient(delivery.id))), delivery.messageId,
                        Data(cipher.seal(delivery.payload, binding: payload(delivery.id))), Millis.of(now), Millis.of(now)]
        )
    }

    /// One attempt that failed, with its error as it is kept; returns the error sealed for the
    /// delivery's `last_error`. `error`: the server's answer with the recipient masked.
    static func insertFailedAttempt(_ deliveryId: String, outcome: String, error: String, at now: Date, db: Database, cipher: FieldCipher) throws -> Data {
        try db.execute(sql: "INSERT INTO attempts (delivery_id, at, outcome) VALUES (?, ?, ?)", arguments: [deliveryId, Millis.of(now), outcome])
        let attempt = db.lastInsertedRowID
        try db.execute(sql: "UPDATE attempts SET error = ? WHERE id = ?", arguments: [Data(cipher.seal(error, binding: attemptError(attempt))), attempt])
        return Data(cipher.seal(error, binding: lastError(deliveryId)))
    }

    /// The data key of the client a row belongs to; gone once that client's data was erased.
    static func cipher(of clientId: String, _ stored: StoredRow, keys: DataKeys, db: Database) throws -> FieldCipher {
        guard let cipher = try keys.existingClientCipher(db, clientId: clientId) else {
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

    // MARK: The migration

    /// Seals a database of the schema before, in place: the deliveries, attempts and reminders
    /// tables are copied into ones whose personal columns hold sealed values and that say whose
    /// key sealed them (`client_id`), row by row (cursors: the deliveries may be many).
    static func migrate(_ db: Database, keys: DataKeys) throws {
        try db.execute(sql: """
            CREATE TABLE reminders_sealed (
                appointment_id TEXT PRIMARY KEY,
                -- Whose data key seals the appointment: the appointment's client.
                client_id TEXT NOT NULL,
                reference TEXT NOT NULL,
                start INTEGER NOT NULL,
                due_at INTEGER NOT NULL,
                -- The appointment without its contact and topic (asked of bookingd when due), sealed.
                appointment BLOB NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('scheduled', 'queued', 'acknowledged', 'dropped'))
            );
            CREATE TABLE deliveries_sealed (
                id TEXT PRIMARY KEY,
                appointment_id TEXT NOT NULL,
                -- Whose data key seals recipient, payload and last_error: the appointment's client.
                client_id TEXT NOT NULL,
                reference TEXT NOT NULL,
                purpose TEXT NOT NULL,
                channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat')),
                audience TEXT NOT NULL CHECK (audience IN ('client', 'consultant', 'team')),
                recipient BLOB NOT NULL,
                message_id TEXT,
                payload BLOB NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
                attempts INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                first_attempt_at INTEGER,
                sent_at INTEGER,
                last_error BLOB,
                in_doubt INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE attempts_sealed (
                id INTEGER PRIMARY KEY,
                delivery_id TEXT NOT NULL REFERENCES deliveries (id),
                at INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                -- Sealed under the delivery's client's key.
                error BLOB
            );
            """)
        var clients: [String: String] = [:]
        let reminders = try Row.fetchCursor(db, sql: "SELECT * FROM reminders")
        while let row = try reminders.next() {
            let stored = StoredRow(row, table: "reminders", keyColumn: "appointment_id")
            let kept: AppointmentBody
            do {
                kept = try WireJSON.decode(AppointmentBody.self, from: try stored.bytes("appointment"))
            } catch {
                throw stored.unreadable("appointment: \(error)")
            }
            // What a reminder keeps from now on: the appointment without the contact.
            let entry = ReminderEntry(appointment: kept, dueAt: try stored.instant("due_at"))
            clients[entry.appointmentId] = entry.clientId
            let sealed = try keys.clientCipher(db, clientId: entry.clientId).seal(try WireJSON.encode(entry.appointment), binding: reminder(entry.appointmentId))
            try db.execute(
                sql: "INSERT INTO reminders_sealed (appointment_id, client_id, reference, start, due_at, appointment, state) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [entry.appointmentId, entry.clientId, row["reference"], row["start"], row["due_at"], Data(sealed), row["state"]]
            )
        }
        let deliveries = try Row.fetchCursor(db, sql: "SELECT * FROM deliveries")
        while let row = try deliveries.next() {
            let stored = StoredRow(row, table: "deliveries", keyColumn: "id")
            let id: String = try stored.value("id")
            let appointmentId: String = try stored.value("appointment_id")
            // Only a reminder said whose an appointment is. Without one, the delivery's key is its
            // appointment's own: an erasure of the client must destroy `appointment:<id>` too.
            let clientId = clients[appointmentId] ?? "appointment:\(appointmentId)"
            let cipher = try keys.clientCipher(db, clientId: clientId)
            let recipient: String = try stored.value("recipient")
            let channel = try stored.parsed("channel", Channel.init(rawValue:))
            func kept(_ error: String, _ binding: FieldBinding) -> Data {
                Data(cipher.seal(ContactMasking.scrub(error, recipient: recipient, channel: channel), binding: binding))
            }
            try db.execute(
                sql: """
                    INSERT INTO deliveries_sealed (id, appointment_id, client_id, reference, purpose, channel, audience, recipient, message_id, payload,
                                                   state, attempts, created_at, next_attempt_at, first_attempt_at, sent_at, last_error, in_doubt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, appointmentId, clientId, row["reference"], row["purpose"], row["channel"], row["audience"],
                            Data(cipher.seal(recipient, binding: Self.recipient(id))), row["message_id"],
                            Data(cipher.seal(try stored.bytes("payload"), binding: payload(id))), row["state"], row["attempts"], row["created_at"],
                            row["next_attempt_at"], row["first_attempt_at"], row["sent_at"],
                            (try stored.value("last_error", as: String?.self)).map { kept($0, lastError(id)) }, row["in_doubt"]]
            )
            for attempt in try Row.fetchAll(db, sql: "SELECT * FROM attempts WHERE delivery_id = ?", arguments: [id]) {
                let attemptRow = StoredRow(attempt, table: "attempts", keyColumn: "id")
                let attemptId: Int64 = try attemptRow.value("id")
                try db.execute(
                    sql: "INSERT INTO attempts_sealed (id, delivery_id, at, outcome, error) VALUES (?, ?, ?, ?, ?)",
                    arguments: [attemptId, id, attempt["at"], attempt["outcome"],
                                (try attemptRow.value("error", as: String?.self)).map { kept($0, attemptError(attemptId)) }]
                )
            }
        }
        // GRDB runs a migration with foreign keys off (attempts refer to deliveries by id, which
        // the copies keep) and checks them after it.
        try db.execute(sql: """
            DROP TABLE reminders;
            ALTER TABLE reminders_sealed RENAME TO reminders;
            CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'scheduled';
            DROP TABLE attempts;
            ALTER TABLE attempts_sealed RENAME TO attempts;
            CREATE INDEX attempts_delivery ON attempts (delivery_id);
            DROP TABLE deliveries;
            ALTER TABLE deliveries_sealed RENAME TO deliveries;
            CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
            CREATE INDEX deliveries_reference ON deliveries (reference);
            CREATE INDEX deliveries_failed ON deliveries (state) WHERE state = 'failed';
            """)
    }

    /// After the migration, the plaintext it replaced may still be on disk: in pages SQLite
    /// freed (Debian's SQLite zeroes them, SECURE_DELETE, but not every build does) and in the
    /// WAL. VACUUM writes the database anew and the checkpoint empties the WAL; outside the
    /// migration's transaction, as both must be.
    /// A `booking.erased` event: the appointment's messages lose their recipient, content and
    /// errors (what was not sent yet, or failed, is cancelled: nobody is left to send it to), its reminder goes, and the data keys that
    /// sealed them are destroyed once nothing of theirs is left: the key of the appointment's
    /// rows sealed before clients were known (`appointment:<id>`), and the client's.
    static func erase(_ erased: ErasedAppointment, db: Database, keys: DataKeys, now: Date) throws {
        let appointment = erased.appointmentId
        try db.execute(sql: """
            UPDATE attempts SET error = NULL WHERE delivery_id IN (SELECT id FROM deliveries WHERE appointment_id = ?);
            UPDATE deliveries SET recipient = '', payload = x'', last_error = NULL, erased_at = COALESCE(erased_at, ?),
                                  state = CASE WHEN state IN ('pending', 'sending', 'failed') THEN 'cancelled' ELSE state END
                WHERE appointment_id = ?;
            DELETE FROM reminders WHERE appointment_id = ?;
            """, arguments: [appointment, Millis.of(now), appointment, appointment])
        for owner in ["appointment:\(appointment)", erased.clientId] {
            let holdsData = try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM deliveries WHERE client_id = ? AND erased_at IS NULL)
                    OR EXISTS (SELECT 1 FROM reminders WHERE client_id = ?)
                """, arguments: [owner, owner]) ?? false
            if !holdsData { try keys.destroyClientKey(db, clientId: owner) }
        }
    }

    static func dropPlaintextPages(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
        }
        try SQLiteFile.emptyWAL(pool)
    }

}
