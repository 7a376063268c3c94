import FieldEncryption
import Foundation
import PostgresStorage
import SharedTables
import StoreSQL

/// notifyd's store on PostgreSQL, for several notifyd instances on one database (each on its
/// own host): the same logic as the SQLite file's (`NotificationTransaction`), over a
/// `PostgresPool`. Each instance claims deliveries as its own `Claimant`: claiming locks the
/// rows it reads and skips those another instance is claiming (`FOR UPDATE SKIP LOCKED`), so a
/// due delivery has one sender at a time. notifyd keeps its own database: its `audit`,
/// `keyring` and `client_keys` are not bookingd's.
public final class PostgresNotificationStore: NotificationStore {
    private let pool: PostgresPool
    private let keys: DataKeys
    private let claimant: Claimant

    /// Connects, brings the schema forward (once, whichever instance starts first) and loads
    /// the keys, checked against `masterKey`.
    public init(settings: PostgresSettings, masterKey: MasterKey, claimant: Claimant, connections: Int = 4) async throws {
        let pool = PostgresPool(settings: settings, connections: connections)
        do {
            try await Self.migrator(masterKey: masterKey).migrate(pool)
            keys = try await pool.transaction { transaction in try DataKeys.load(transaction, master: masterKey, sharedWithOtherInstances: true) }
        } catch {
            await pool.close()
            throw error
        }
        self.pool = pool
        self.claimant = claimant
    }

    public func close() async {
        await pool.close()
    }

    static func migrator(masterKey: MasterKey) -> PostgresMigrator {
        PostgresMigrator(store: "notifyd", migrations: [
            PostgresMigration(version: 1, name: "notifyd's schema") { transaction in
                for statement in schema { try transaction.execute(statement, []) }
                // In the migration's transaction, under its lock: two instances starting at once
                // on a new database make one keyring.
                _ = try DataKeys.createKeyring(transaction, master: masterKey)
            },
            PostgresMigration(version: 2, name: "the epoch followed") { transaction in
                // The epoch of bookingd's log that last_sequence counts in (nil until learnt).
                try transaction.execute("ALTER TABLE follower ADD COLUMN epoch text", [])
            },
        ])
    }

    /// The schema SQLite's migrations arrive at, in PostgreSQL's types: every instant an
    /// integer of milliseconds, every flag 0 or 1, every sealed value bytea.
    static let schema = PostgresSharedTables.statements + [
        """
        CREATE TABLE follower (
            id bigint PRIMARY KEY CHECK (id = 1),
            last_sequence bigint NOT NULL
        )
        """,
        "INSERT INTO follower (id, last_sequence) VALUES (1, 0)",
        """
        CREATE TABLE applied_events (
            event_id text PRIMARY KEY,
            sequence bigint NOT NULL
        )
        """,
        """
        CREATE TABLE deliveries (
            id text PRIMARY KEY,
            -- The order rows were queued in (SQLite's rowid): a booking's CRM changes go in it.
            position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            appointment_id text NOT NULL,
            -- Whose data key seals recipient, payload and last_error: the appointment's client.
            client_id text NOT NULL,
            reference text NOT NULL,
            purpose text NOT NULL,
            channel text NOT NULL CHECK (channel IN ('email', 'sms', 'chat', 'crm')),
            audience text NOT NULL CHECK (audience IN ('client', 'consultant', 'team')),
            recipient bytea NOT NULL,
            message_id text,
            payload bytea NOT NULL,
            state text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
            attempts bigint NOT NULL DEFAULT 0,
            created_at bigint NOT NULL,
            next_attempt_at bigint NOT NULL,
            first_attempt_at bigint,
            sent_at bigint,
            last_error bytea,
            in_doubt bigint NOT NULL DEFAULT 0 CHECK (in_doubt IN (0, 1)),
            erased_at bigint,
            -- The notifyd instance sending it, and until when; past lease_until another takes it over.
            claimed_by text,
            lease_until bigint
        )
        """,
        "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending'",
        "CREATE INDEX deliveries_leases ON deliveries (lease_until) WHERE state = 'sending'",
        "CREATE INDEX deliveries_reference ON deliveries (reference)",
        "CREATE INDEX deliveries_client ON deliveries (client_id)",
        "CREATE INDEX deliveries_failed ON deliveries (state) WHERE state = 'failed'",
        "CREATE INDEX deliveries_crm_order ON deliveries (appointment_id, position) WHERE channel = 'crm'",
        """
        CREATE TABLE attempts (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            delivery_id text NOT NULL REFERENCES deliveries (id),
            at bigint NOT NULL,
            outcome text NOT NULL,
            error bytea
        )
        """,
        "CREATE INDEX attempts_delivery ON attempts (delivery_id)",
        """
        CREATE TABLE reminders (
            appointment_id text PRIMARY KEY,
            client_id text NOT NULL,
            reference text NOT NULL,
            start bigint NOT NULL,
            due_at bigint NOT NULL,
            appointment bytea NOT NULL,
            state text NOT NULL CHECK (state IN ('scheduled', 'queued', 'acknowledged', 'dropped'))
        )
        """,
        "CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 'scheduled'",
        """
        CREATE TABLE crm_leads (
            provider text NOT NULL,
            appointment_id text NOT NULL,
            lead_id text NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (provider, appointment_id)
        )
        """,
    ]

    // MARK: Transactions

    private func run<Value: Sendable>(_ body: @escaping @Sendable (NotificationTransaction<PostgresTransaction>) throws -> Value) async throws -> Value {
        let (keys, claimant) = (self.keys, self.claimant)
        return try await pool.transaction { transaction in try body(NotificationTransaction(transaction, keys: keys, claimant: claimant)) }
    }

    // MARK: Following the event stream

    public func lastSequence() async throws -> UInt64 {
        try await run { try $0.lastSequence() }
    }

    @discardableResult
    public func apply(_ events: [AppliedEvent], now: Date) async throws -> Int {
        try await run { try $0.apply(events, now: now).applied }
    }

    public func follow(from sequence: UInt64) async throws {
        try await run { try $0.follow(from: sequence) }
    }

    public func followedEpoch() async throws -> String? {
        try await run { try $0.followedEpoch() }
    }

    public func keep(epoch: String) async throws {
        try await run { try $0.keep(epoch: epoch) }
    }

    // MARK: Sending

    public func releaseOwnClaims() async throws -> Int {
        try await run { try $0.releaseOwnClaims() }
    }

    public func claimDue(now: Date, limit: Int) async throws -> [StoredDelivery] {
        try await run { try $0.claimDue(now: now, limit: limit) }
    }

    public func nextDue() async throws -> Date? {
        try await run { try $0.nextDue() }
    }

    @discardableResult
    public func record(_ outcomes: [(id: String, outcome: AttemptOutcome)], at now: Date) async throws -> [String] {
        try await run { try $0.record(outcomes, at: now) }
    }

    public func retry(id: String, now: Date) async throws -> StoredDelivery? {
        try await run { try $0.retry(id: id, now: now) }
    }

    // MARK: The CRM's leads

    public func lead(appointmentId: String, provider: String) async throws -> String? {
        try await run { try $0.lead(appointmentId: appointmentId, provider: provider) }
    }

    public func keepLead(appointmentId: String, provider: String, leadId: String, at now: Date) async throws {
        try await run { try $0.keepLead(appointmentId: appointmentId, provider: provider, leadId: leadId, at: now) }
    }

    // MARK: Reminders

    public func dueReminders(now: Date, limit: Int) async throws -> [ReminderEntry] {
        try await run { try $0.dueReminders(now: now, limit: limit) }
    }

    public func queue(_ reminder: ReminderEntry, deliveries: [NewDelivery], now: Date) async throws {
        try await run { try $0.queue(reminder, deliveries: deliveries, now: now) }
    }

    @discardableResult
    public func queue(_ deliveries: [NewDelivery], now: Date) async throws -> Int {
        try await run { try $0.queue(deliveries, now: now) }
    }

    public func remindersToAcknowledge() async throws -> [ReminderEntry] {
        try await run { try $0.remindersToAcknowledge() }
    }

    public func acknowledge(appointmentId: String, start: Date) async throws {
        try await run { try $0.acknowledge(appointmentId: appointmentId, start: start) }
    }

    public func reminder(appointmentId: String) async throws -> ReminderEntry? {
        try await run { try $0.reminder(appointmentId: appointmentId) }
    }

    // MARK: Reading

    public func deliveries(reference: String) async throws -> [StoredDelivery] {
        try await run { try $0.deliveries(reference: reference) }
    }

    public func lastQueued(reference: String, idPrefix: String) async throws -> Date? {
        try await run { try $0.lastQueued(reference: reference, idPrefix: idPrefix) }
    }

    public func deliveries(clientIds: [String]) async throws -> [StoredDelivery] {
        try await run { try $0.deliveries(clientIds: clientIds) }
    }

    public func delivery(id: String) async throws -> StoredDelivery? {
        try await run { try $0.delivery(id: id) }
    }

    public func failed(limit: Int) async throws -> [StoredDelivery] {
        try await run { try $0.failed(limit: limit) }
    }

    public func attempts(deliveryId: String) async throws -> [DeliveryAttempt] {
        try await run { try $0.attempts(deliveryId: deliveryId) }
    }

    public func counts() async throws -> [DeliveryState: Int] {
        try await run { try $0.counts() }
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await run { try $0.recordAudit(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at)) }
    }

    // MARK: The master key

    public func masterKeyState() async throws -> MasterKeyState {
        try await pool.transaction { transaction in try DataKeys.state(transaction) }
    }

    public func rotateMasterKey(to next: MasterKey, limit: Int) async throws -> RotationProgress {
        let keys = self.keys
        let progress = try await pool.transaction { transaction in try keys.rotationStep(transaction, to: next, limit: limit) }
        keys.rotationStepCommitted(to: next)
        return progress
    }

    public func finishMasterKeyRotation(to fingerprint: String) async throws -> String? {
        let keys = self.keys
        let retired = try await pool.transaction { transaction in try keys.finishRotation(transaction, to: fingerprint) }
        if let retired { keys.rotationFinished(retiring: retired) }
        return retired
    }
}
