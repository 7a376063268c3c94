import GRDB

/// The CRM's leads as notifyd keeps them: which lead is each booking's, per provider (a lead id
/// means nothing to another CRM), and the order a booking's CRM deliveries go in.
enum CRMLeads {
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

    /// A due delivery may go unless it is a CRM change with an earlier one of the same booking
    /// still to send (pending or being sent): an update never overtakes the creation whose lead
    /// id it needs, nor a change before it. A dead letter holds nothing up (the next change
    /// makes the lead if it is missing). `d` is the delivery's alias.
    static let mayGo = """
        (d.channel != 'crm' OR NOT EXISTS (
            SELECT 1 FROM deliveries e WHERE e.channel = 'crm' AND e.appointment_id = d.appointment_id AND e.rowid < d.rowid
                AND e.state IN ('pending', 'sending')))
        """
}
