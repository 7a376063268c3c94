import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import Notifications
import SQLiteStorage
import SharedTables
import StoreSQL

extension Sealed {
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
    static func dropPlaintextPages(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
        }
        try SQLiteFile.emptyWAL(pool)
    }
}
