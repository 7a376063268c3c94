import FieldEncryption
import GRDB
import SQLiteStorage
import SharedTables

// notifyd's schema as SQLite keeps it, with every step from the first release: a file of any
// older schema is brought forward in place.

extension SQLiteNotificationStore {
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
        migrator.registerMigration("v7: claims are leases") { db in
            try db.execute(sql: """
                -- Which notifyd instance claimed a delivery being sent, and until when: past
                -- lease_until another instance may take it over (in doubt).
                ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
                ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
                -- What an older notifyd left in flight: its lease is over, so it goes again in doubt.
                UPDATE deliveries SET claimed_by = 'local', lease_until = 0 WHERE state = 'sending';
                CREATE INDEX deliveries_leases ON deliveries (lease_until) WHERE state = 'sending';
                """)
        }
        migrator.registerMigration("v8: the epoch followed") { db in
            // The epoch of bookingd's log that last_sequence counts in (nil until learnt).
            try db.execute(sql: "ALTER TABLE follower ADD COLUMN epoch TEXT")
        }
        return migrator
    }
}

extension CRMLeads {
    /// The deliveries table again, with `crm` among the channels (SQLite cannot change a CHECK in
    /// place), and the leads' ids. Rows are copied with their rowids: the CRM's order is theirs.
    static func migrate(_ db: Database) throws {
        let columns = """
            id, appointment_id, client_id, reference, purpose, channel, audience, recipient, message_id, payload, state, attempts, created_at,
            next_attempt_at, first_attempt_at, sent_at, last_error, in_doubt, erased_at
            """
        try db.execute(sql: """
            CREATE TABLE deliveries_crm (
                id TEXT PRIMARY KEY,
                appointment_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                reference TEXT NOT NULL,
                purpose TEXT NOT NULL,
                channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'crm')),
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
                in_doubt INTEGER NOT NULL DEFAULT 0,
                erased_at INTEGER
            );
            INSERT INTO deliveries_crm (rowid, \(columns)) SELECT rowid, \(columns) FROM deliveries;
            DROP TABLE deliveries;
            ALTER TABLE deliveries_crm RENAME TO deliveries;
            CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
            CREATE INDEX deliveries_reference ON deliveries (reference);
            CREATE INDEX deliveries_failed ON deliveries (state) WHERE state = 'failed';
            CREATE INDEX deliveries_crm_order ON deliveries (appointment_id) WHERE channel = 'crm';
            CREATE TABLE crm_leads (
                provider TEXT NOT NULL,
                appointment_id TEXT NOT NULL,
                -- The CRM's id of the booking's lead: not personal data, kept plain.
                lead_id TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (provider, appointment_id)
            );
            """)
    }
}
