import BookingDomain
import Foundation
import FieldEncryption
import GRDB
import SQLiteStorage
import SharedTables

extension AppointmentStatus {
    /// The SQL condition for an appointment that holds its slot (`isActive`). It reads exactly as
    /// the partial indexes' WHERE in the migrations below, which SQLite needs to use them.
    static let activeCondition = "status IN (\(allCases.filter(\.isActive).map { "'\($0.rawValue)'" }.joined(separator: ", ")))"
}

/// The schema of bookingd's database, as migrations: a database is only ever moved forward.
enum Schema {
    /// `master` encrypts a database that has no keys yet (v7 makes them).
    static func migrator(master: MasterKey) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: appointments, history, audit, events, idempotency") { db in
            try db.execute(sql: """
                CREATE TABLE clients (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE appointments (
                    id TEXT PRIMARY KEY,
                    reference TEXT NOT NULL UNIQUE,
                    client_id TEXT NOT NULL REFERENCES clients(id),
                    consultant_id TEXT NOT NULL,
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                    status TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled', 'completed', 'no_show')),
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    company TEXT,
                    time_zone TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    reminder_sent INTEGER NOT NULL DEFAULT 0
                );
                -- The guarantee against double booking: whatever the timing of two writers,
                -- one consultant has at most one active appointment per start.
                CREATE UNIQUE INDEX one_active_appointment_per_consultant_and_start
                    ON appointments(consultant_id, start_ms) WHERE status = 'confirmed';
                CREATE INDEX appointments_by_start ON appointments(start_ms);
                -- Who is booked at a start, and bookings per consultant in the horizon, are asked
                -- on every booking: answered from this index alone.
                CREATE INDEX active_appointments_by_start ON appointments(start_ms, consultant_id) WHERE status = 'confirmed';
                CREATE INDEX appointments_by_client ON appointments(client_id);

                CREATE TABLE history (
                    id INTEGER PRIMARY KEY,
                    appointment_id TEXT NOT NULL REFERENCES appointments(id),
                    kind TEXT NOT NULL,
                    from_status TEXT,
                    to_status TEXT NOT NULL,
                    old_start_ms INTEGER, old_end_ms INTEGER,
                    new_start_ms INTEGER, new_end_ms INTEGER,
                    old_consultant_id TEXT, new_consultant_id TEXT,
                    actor TEXT NOT NULL,
                    user TEXT,
                    reason TEXT,
                    at INTEGER NOT NULL,
                    correlation_id TEXT
                );
                CREATE INDEX history_by_appointment ON history(appointment_id, id);

                -- The outbox and the event log in one: committed with the change, published
                -- after commit, kept for replay. `sequence` is assigned as max + 1 inside the
                -- single writer's transaction, so committed sequences have no gaps.
                CREATE TABLE events (
                    sequence INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    appointment_id TEXT NOT NULL,
                    body BLOB NOT NULL,
                    correlation_id TEXT,
                    created_at INTEGER NOT NULL
                );

                CREATE TABLE idempotency (
                    key TEXT PRIMARY KEY,
                    command TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    reply BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX idempotency_by_age ON idempotency(created_at);

                CREATE TABLE publisher (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    published_through INTEGER NOT NULL
                );
                INSERT INTO publisher (id, published_through) VALUES (1, 0);
                """)
            // The suite's one audit schema, which bookingd's own first schema was.
            try AuditTrail.createTable(db)
        }
        migrator.registerMigration("v2: settings") { db in
            try db.execute(sql: """
                -- Operator settings that must survive a restart, e.g. a maintenance pause.
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: a contact's appointments") { db in
            try db.execute(sql: """
                -- A booking counts its contact's future bookings (by email or phone) against the limit.
                CREATE INDEX appointments_by_email ON appointments(email COLLATE NOCASE);
                CREATE INDEX appointments_by_phone ON appointments(phone);
                """)
        }
        migrator.registerMigration("v4: revision") { db in
            try db.execute(sql: """
                -- How often the appointment's time, consultant or status changed: its history
                -- says so for the rows written before this column.
                ALTER TABLE appointments ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                UPDATE appointments SET revision = (
                    SELECT COUNT(*) FROM history
                    WHERE history.appointment_id = appointments.id AND history.kind IN ('rescheduled', 'cancelled', 'completed', 'no_show')
                );
                """)
        }
        migrator.registerMigration("v5: meeting and topic") { db in
            try db.execute(sql: """
                -- How the consultation happens, fixed when it was booked (NULL: booked before
                -- meetings were configured), and what the client would like to discuss.
                ALTER TABLE appointments ADD COLUMN meeting_format TEXT CHECK (meeting_format IN ('phone', 'video', 'office'));
                ALTER TABLE appointments ADD COLUMN meeting_link TEXT;
                ALTER TABLE appointments ADD COLUMN meeting_address TEXT;
                ALTER TABLE appointments ADD COLUMN topic TEXT;
                """)
        }
        migrator.registerMigration("v6: holds") { db in
            // SQLite cannot change a CHECK in place: the table is copied into one whose status
            // may be `scheduled`, and the indexes that keep a slot to one booking count holds.
            // GRDB runs a migration with foreign keys off and checks them after it.
            try db.execute(sql: """
                CREATE TABLE appointments_v6 (
                    id TEXT PRIMARY KEY,
                    reference TEXT NOT NULL UNIQUE,
                    client_id TEXT NOT NULL REFERENCES clients(id),
                    consultant_id TEXT NOT NULL,
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                    status TEXT NOT NULL CHECK (status IN ('scheduled', 'confirmed', 'cancelled', 'completed', 'no_show')),
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    phone TEXT NOT NULL,
                    company TEXT,
                    time_zone TEXT NOT NULL,
                    locale TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    reminder_sent INTEGER NOT NULL DEFAULT 0,
                    revision INTEGER NOT NULL DEFAULT 0,
                    meeting_format TEXT CHECK (meeting_format IN ('phone', 'video', 'office')),
                    meeting_link TEXT,
                    meeting_address TEXT,
                    topic TEXT,
                    -- A hold's end: set exactly while the booking waits for its client's confirmation.
                    hold_expires_ms INTEGER,
                    CHECK ((status = 'scheduled') = (hold_expires_ms IS NOT NULL))
                );
                INSERT INTO appointments_v6 (id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                                             time_zone, locale, created_at, updated_at, reminder_sent, revision,
                                             meeting_format, meeting_link, meeting_address, topic)
                    SELECT id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                           time_zone, locale, created_at, updated_at, reminder_sent, revision,
                           meeting_format, meeting_link, meeting_address, topic
                    FROM appointments;
                DROP TABLE appointments;
                ALTER TABLE appointments_v6 RENAME TO appointments;
                CREATE UNIQUE INDEX one_active_appointment_per_consultant_and_start
                    ON appointments(consultant_id, start_ms) WHERE status IN ('scheduled', 'confirmed');
                CREATE INDEX appointments_by_start ON appointments(start_ms);
                CREATE INDEX active_appointments_by_start ON appointments(start_ms, consultant_id) WHERE status IN ('scheduled', 'confirmed');
                CREATE INDEX appointments_by_client ON appointments(client_id);
                CREATE INDEX appointments_by_email ON appointments(email COLLATE NOCASE);
                CREATE INDEX appointments_by_phone ON appointments(phone);
                -- The release timer asks for the holds that ended.
                CREATE INDEX holds_by_expiry ON appointments(hold_expires_ms) WHERE status = 'scheduled';
                """)
        }
        migrator.registerMigration("v7: personal data sealed") { db in
            try sealPersonalData(db, master: master)
        }
        migrator.registerMigration("v8: erasures") { db in
            try createErasureTables(db)
        }
        migrator.registerMigration("v9: master key rotation") { db in
            try MasterKeyRotation.createTable(db)
        }
        migrator.registerMigration("v10: consents") { db in
            try Consents.createTable(db)
        }
        migrator.registerMigration("v11: feeds") { db in
            try Feeds.createTable(db)
        }
        migrator.registerMigration("v12: attendance, sources and visits") { db in
            try db.execute(sql: """
                -- Where the visit that booked came from (not personal data).
                ALTER TABLE appointments ADD COLUMN utm_source TEXT;
                ALTER TABLE appointments ADD COLUMN utm_medium TEXT;
                ALTER TABLE appointments ADD COLUMN utm_campaign TEXT;
                ALTER TABLE appointments ADD COLUMN referrer TEXT;
                -- The mark of attendance is `attended` in the history, as its event is named.
                UPDATE history SET kind = 'attended' WHERE kind = 'completed';
                """)
            try Visits.createTable(db)
        }
        migrator.registerMigration("v13: event counter") { db in
            try db.execute(sql: """
                -- The one row events take their sequence numbers from, at the end of each
                -- transaction (EventLog); it starts where the events written before it end.
                CREATE TABLE event_counter (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    last INTEGER NOT NULL
                );
                INSERT INTO event_counter (id, last) SELECT 1, COALESCE(MAX(sequence), 0) FROM events;
                """)
        }
        migrator.registerMigration("v14: store identity") { db in
            try StoreIdentity.createTable(db)
        }
        return migrator
    }
}

extension Consents {
    /// v10.
    static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE consents (
                id INTEGER PRIMARY KEY,
                appointment_id TEXT NOT NULL REFERENCES appointments (id),
                client_id TEXT NOT NULL,
                purpose TEXT NOT NULL CHECK (purpose IN ('processing', 'marketing')),
                notice TEXT NOT NULL,
                given_at INTEGER NOT NULL,
                address TEXT
            );
            """)
    }
}

extension Feeds {
    /// v11.
    static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE feeds (
                scope TEXT PRIMARY KEY,
                generation INTEGER NOT NULL CHECK (generation >= 1),
                revoked_at INTEGER,
                changed_at INTEGER NOT NULL
            );
            """)
    }
}

extension Visits {
    /// v12.
    static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE visits (
                id TEXT PRIMARY KEY,
                viewed_ms INTEGER NOT NULL,
                slots_ms INTEGER,
                chose_ms INTEGER,
                sent_ms INTEGER,
                booked_ms INTEGER,
                reference TEXT
            );
            CREATE INDEX visits_by_start ON visits(viewed_ms);
            """)
    }
}

/// The database's epoch: a random id made with it (or with v14 for an older one) and renewed
/// when it is restored from a backup, so that its sequence numbers are never mistaken for those
/// of the database it replaced.
enum StoreIdentity {
    /// v14.
    static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE store_identity (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                epoch TEXT NOT NULL
            );
            """)
        try db.execute(sql: "INSERT INTO store_identity (id, epoch) VALUES (1, ?)", arguments: [newEpoch()])
    }

    static func newEpoch() -> String { UUID().uuidString.lowercased() }

    static func epoch(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT epoch FROM store_identity WHERE id = 1")
    }

    /// Gives the database at `path` a new epoch; a copy older than v14 gets its first when opened.
    static func renew(at path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        try queue.write { db in
            guard try db.tableExists("store_identity") else { return }
            try db.execute(sql: "UPDATE store_identity SET epoch = ? WHERE id = 1", arguments: [newEpoch()])
        }
    }
}
