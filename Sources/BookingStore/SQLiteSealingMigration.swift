import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL

extension Schema {
    /// The `settings` row v7 leaves until a VACUUM has run after it: the file may hold the pages
    /// the plaintext was on until then, so a start that finds it (after a crash) runs it again.
    static let unsealedPagesSetting = "unsealed_pages"

    /// v7: every personal value is sealed under its client's data key, and a contact's bookings
    /// are found by blind indexes. `clients`, `appointments` and `idempotency` are rebuilt (SQLite
    /// cannot drop an indexed column), keeping every other column, index and CHECK; history's
    /// reasons and the stored events are rewritten in place.
    static func sealPersonalData(_ db: Database, master: MasterKey) throws {
        let keys = try DataKeys.createTables(db, master: master)
        let ciphers = ClientCiphers(SQLiteTransaction(db), keys: keys)
        try db.execute(sql: """
            CREATE TABLE clients_v7 (
                id TEXT PRIMARY KEY,
                -- The blind index of the client's email (BlindIndex.email): one client per email in any case.
                email_index BLOB NOT NULL UNIQUE,
                created_at INTEGER NOT NULL
            );
            CREATE TABLE appointments_v7 (
                id TEXT PRIMARY KEY,
                reference TEXT NOT NULL UNIQUE,
                client_id TEXT NOT NULL REFERENCES clients(id),
                consultant_id TEXT NOT NULL,
                start_ms INTEGER NOT NULL,
                end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                status TEXT NOT NULL CHECK (status IN ('scheduled', 'confirmed', 'cancelled', 'completed', 'no_show')),
                -- The client's name, email, phone, company and topic: JSON sealed under the
                -- client's data key and bound to this row (NULL once erased).
                contact BLOB,
                -- Blind indexes of the email and of the phone (NULL without one): how the
                -- per-contact limit and a contact's bookings find rows without the contact.
                email_index BLOB NOT NULL,
                phone_index BLOB,
                time_zone TEXT NOT NULL,
                locale TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                reminder_sent INTEGER NOT NULL DEFAULT 0,
                revision INTEGER NOT NULL DEFAULT 0,
                meeting_format TEXT CHECK (meeting_format IN ('phone', 'video', 'office')),
                meeting_link TEXT,
                meeting_address TEXT,
                -- A hold's end: set exactly while the booking waits for its client's confirmation.
                hold_expires_ms INTEGER,
                CHECK ((status = 'scheduled') = (hold_expires_ms IS NOT NULL))
            );
            CREATE TABLE idempotency_v7 (
                key TEXT PRIMARY KEY,
                command TEXT NOT NULL,
                digest TEXT NOT NULL,
                -- The reply holds the appointment with its contact: sealed under this client's key.
                client_id TEXT NOT NULL,
                reply BLOB NOT NULL,
                created_at INTEGER NOT NULL
            );
            """)
        let clientIds = try sealClients(db, index: keys.index)
        try sealAppointments(db, clientIds: clientIds, ciphers: ciphers)
        try sealHistoryReasons(db, ciphers: ciphers)
        try sealIdempotencyReplies(db, clientIds: clientIds, ciphers: ciphers)
        try maskEvents(db)
        try db.execute(sql: """
            DROP TABLE appointments;
            DROP TABLE clients;
            DROP TABLE idempotency;
            ALTER TABLE clients_v7 RENAME TO clients;
            ALTER TABLE appointments_v7 RENAME TO appointments;
            ALTER TABLE idempotency_v7 RENAME TO idempotency;
            CREATE UNIQUE INDEX one_active_appointment_per_consultant_and_start
                ON appointments(consultant_id, start_ms) WHERE status IN ('scheduled', 'confirmed');
            CREATE INDEX appointments_by_start ON appointments(start_ms);
            CREATE INDEX active_appointments_by_start ON appointments(start_ms, consultant_id) WHERE status IN ('scheduled', 'confirmed');
            CREATE INDEX appointments_by_client ON appointments(client_id);
            CREATE INDEX appointments_by_email ON appointments(email_index);
            CREATE INDEX appointments_by_phone ON appointments(phone_index);
            CREATE INDEX holds_by_expiry ON appointments(hold_expires_ms) WHERE status = 'scheduled';
            CREATE INDEX idempotency_by_age ON idempotency(created_at);
            """)
        try db.execute(sql: "INSERT INTO settings (key, value) VALUES (?, 'v7')", arguments: [unsealedPagesSetting])
    }

    /// One client per blind index of their email. Before v7 a client was their email as typed,
    /// so clients whose emails differ only in case become one, the earliest: the map gives each
    /// old id the id kept.
    private static func sealClients(_ db: Database, index: BlindIndex) throws -> [String: String] {
        var kept: [Data: String] = [:], clientIds: [String: String] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, email, created_at FROM clients ORDER BY created_at, id")
        while let row = try rows.next() {
            let stored = StoredRow(row, table: "clients", keyColumn: "id")
            let id: String = try stored.value("id")
            let email = Data(index.email(try stored.value("email")))
            if let earlier = kept[email] {
                clientIds[id] = earlier
                continue
            }
            kept[email] = id
            clientIds[id] = id
            try db.execute(sql: "INSERT INTO clients_v7 (id, email_index, created_at) VALUES (?, ?, ?)",
                           arguments: [id, email, try stored.value("created_at", as: Int64.self)])
        }
        return clientIds
    }

    private static func sealAppointments(_ db: Database, clientIds: [String: String], ciphers: ClientCiphers<SQLiteTransaction>) throws {
        // Every column but the client's, whose id may change, and the personal ones, which are sealed.
        let kept = ["id", "reference", "consultant_id", "start_ms", "end_ms", "status", "time_zone", "locale", "created_at", "updated_at",
                    "reminder_sent", "revision", "meeting_format", "meeting_link", "meeting_address", "hold_expires_ms"]
        let columns = kept + ["client_id", "contact", "email_index", "phone_index"]
        let insert = try db.makeStatement(sql: """
            INSERT INTO appointments_v7 (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
            """)
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM appointments")
        while let row = try rows.next() {
            let stored = StoredRow(row, table: "appointments", keyColumn: "reference")
            let id: String = try stored.value("id"), oldClientId: String = try stored.value("client_id")
            guard let clientId = clientIds[oldClientId] else { throw stored.unreadable("client_id \(oldClientId) is no client's") }
            let email: String = try stored.value("email"), phone: String = try stored.value("phone")
            let contact = SealedContact(name: try stored.value("name"), email: email, phone: phone, company: try stored.value("company"),
                                        topic: try stored.value("topic"))
            let indexes = ContactIndexes(email: email, phone: phone, index: ciphers.keys.index)
            let values: [DatabaseValue] = kept.map { row[$0] as DatabaseValue } + [
                clientId.databaseValue, contact.sealed(with: try ciphers.sealing(for: clientId), appointmentId: id).databaseValue,
                indexes.email.databaseValue, indexes.phone.databaseValue,
            ]
            try insert.execute(arguments: StatementArguments(values))
        }
    }

    /// Under the key of the client whose appointment the row is of (after `sealClients` merged them).
    private static func sealHistoryReasons(_ db: Database, ciphers: ClientCiphers<SQLiteTransaction>) throws {
        try forEachPage(db, sql: """
            SELECT h.id, h.reason, a.client_id FROM history h LEFT JOIN appointments_v7 a ON a.id = h.appointment_id
            WHERE h.reason IS NOT NULL AND h.id > ? ORDER BY h.id LIMIT ?
            """, key: "id") { row in
            let stored = StoredRow(row, table: "history", keyColumn: "id")
            let id: Int64 = try stored.value("id"), reason: String = try stored.value("reason")
            guard let clientId = try stored.value("client_id", as: String?.self) else { throw stored.unreadable("its appointment does not exist") }
            let sealed = try ciphers.sealing(for: clientId).seal(reason, binding: .historyReason(id))
            try db.execute(sql: "UPDATE history SET reason = ? WHERE id = ?", arguments: [Data(sealed), id])
        }
    }

    /// A retry still gets the first answer's very bytes, now sealed.
    private static func sealIdempotencyReplies(_ db: Database, clientIds: [String: String], ciphers: ClientCiphers<SQLiteTransaction>) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT key, command, digest, reply, created_at FROM idempotency")
        while let row = try rows.next() {
            let stored = StoredRow(row, table: "idempotency", keyColumn: "key")
            let key: String = try stored.value("key"), reply = try stored.bytes("reply")
            let appointment: AppointmentBody
            do {
                appointment = try WireJSON.decode(AppointmentBody.self, from: reply)
            } catch {
                throw stored.unreadable("reply: \(error)")
            }
            guard let clientId = clientIds[appointment.clientId] else { throw stored.unreadable("reply: client \(appointment.clientId) is no client's") }
            let sealed = try ciphers.sealing(for: clientId).seal(reply, binding: .idempotencyReply(key))
            try db.execute(
                sql: "INSERT INTO idempotency_v7 (key, command, digest, client_id, reply, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [key, try stored.value("command", as: String.self), try stored.value("digest", as: String.self), clientId, Data(sealed),
                            try stored.value("created_at", as: Int64.self)]
            )
        }
    }

    /// Replay and the outbox send stored events as they are: the old ones become what new ones are.
    private static func maskEvents(_ db: Database) throws {
        try forEachPage(db, sql: "SELECT sequence, body FROM events WHERE sequence > ? ORDER BY sequence LIMIT ?", key: "sequence") { row in
            let stored = StoredRow(row, table: "events", keyColumn: "sequence")
            let body = try stored.bytes("body")
            let event: EventBody
            do {
                event = try WireJSON.decode(EventBody.self, from: body)
            } catch {
                throw stored.unreadable("body: \(error)")
            }
            try db.execute(sql: "UPDATE events SET body = ? WHERE sequence = ?",
                           arguments: [Data(try WireJSON.encode(event.withoutPersonalData)), try stored.value("sequence", as: Int64.self)])
        }
    }

    /// Each row `sql` selects (it takes the last `key` seen and a page size), a page at a time in
    /// the order of that integer key: a table rewritten in place is not read while it changes,
    /// nor held in memory whole.
    private static func forEachPage(_ db: Database, sql: String, key: String, _ body: (Row) throws -> Void) throws {
        let pageSize = 500
        var last = Int64.min
        while true {
            let rows = try Row.fetchAll(db, sql: sql, arguments: [last, pageSize])
            for row in rows { try body(row) }
            guard rows.count == pageSize, let next: Int64 = rows.last?[key] else { return }
            last = next
        }
    }

    /// After v7: a VACUUM writes the database anew, without the free pages the plaintext was on
    /// (SQLite's secure_delete zeroes what it frees; a VACUUM leaves nothing freed at all), and a
    /// TRUNCATE checkpoint empties the WAL, whose frames held the rows v7 read and rewrote. Both
    /// must run outside a transaction, so not in the migration.
    static func removeUnsealedPages(_ pool: DatabasePool) throws {
        let pending = try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM settings WHERE key = ?)", arguments: [unsealedPagesSetting]) ?? false
        }
        guard pending else { return }
        try pool.barrierWriteWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
            try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [unsealedPagesSetting])
            try db.checkpoint(.truncate)
        }
    }
}
