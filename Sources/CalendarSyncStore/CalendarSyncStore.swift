import CivilTime
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL

/// Which kind of server a connection reaches: the protocol spoken, and where the data lives.
public enum CalendarProvider: String, Sendable, CaseIterable, Codable {
    /// Any CalDAV server (Nextcloud, Radicale, Fastmail), basic authentication.
    case caldav
    /// Yandex Calendar over CalDAV with an app password: data kept in Russia.
    case yandex
    /// Google Calendar's CalDAV endpoint with OAuth 2 (a service account or a refresh token):
    /// data kept outside Russia.
    case google

    /// What a booking's event says unless the admin chose: for a provider outside Russia, writing
    /// a Russian client's name there is a cross-border transfer (152-FZ, art. 12), so only the
    /// reference and the manage link.
    public var defaultPrivacy: CopyPrivacy { self == .google ? .minimal : .full }
}

/// What a booking's event in the consultant's calendar says about the client.
public enum CopyPrivacy: String, Sendable, CaseIterable, Codable {
    /// The reference and the manage link only.
    case minimal
    /// Also the client's name, phone and email, for the consultant.
    case full
}

/// What calsyncd does when a booking's event is deleted in the calendar: never cancel the booking.
public enum RemoteDeletePolicy: String, Sendable, CaseIterable, Codable {
    /// Write it again, and say so in the log.
    case recreate
    /// Leave it deleted and list a conflict.
    case report
}

/// A consultant's calendar as an admin connected it.
public struct CalendarConnection: Sendable, Equatable {
    public var consultantId: String
    public var provider: CalendarProvider
    /// The calendar collection's URL.
    public var url: String
    public var username: String
    /// The credential (file) holding the password; the password itself is never stored here.
    public var passwordCredential: String
    public var tentativeBlocks: Bool
    /// Whether the consultant's bookings are written into the calendar.
    public var writeBookings: Bool
    public var privacy: CopyPrivacy
    public var onRemoteDelete: RemoteDeletePolicy

    public init(consultantId: String, provider: CalendarProvider, url: String, username: String, passwordCredential: String, tentativeBlocks: Bool = true,
                writeBookings: Bool = true, privacy: CopyPrivacy? = nil, onRemoteDelete: RemoteDeletePolicy = .recreate) {
        self.consultantId = consultantId
        self.provider = provider
        self.url = url
        self.username = username
        self.passwordCredential = passwordCredential
        self.tentativeBlocks = tentativeBlocks
        self.writeBookings = writeBookings
        self.privacy = privacy ?? provider.defaultPrivacy
        self.onRemoteDelete = onRemoteDelete
    }
}

/// How a connection's sync is going.
public struct SyncStatus: Sendable, Equatable {
    public var lastSyncAt: Date?
    public var lastAttemptAt: Date?
    public var lastError: String?
    public var busyIntervals: Int
    public var events: Int
    public var warnings: [String]
    /// RFC 6578's token of the last changes read; nil: read everything next time.
    public var syncToken: String?
    /// Bookings whose event in this calendar is as they are now, and those still to write.
    public var bookingsWritten = 0
    public var bookingsPending = 0
    public var lastWriteError: String?
}

/// A calendar resource as last read from the server.
public struct RemoteEvent: Sendable, Equatable {
    public var href: String
    public var etag: String?
    public var data: String

    public init(href: String, etag: String?, data: String) {
        self.href = href
        self.etag = etag
        self.data = data
    }
}

/// calsyncd's own database: the connections, what each calendar held when last read (so a sync
/// reads only what changed, and the last known busy time survives a restart), each sync's
/// outcome, and the audit trail.
public final class CalendarSyncStore: Sendable {
    public let path: String
    let pool: DatabasePool

    public init(path: String) throws(StoreError) {
        self.path = path
        pool = try SQLiteFile.open(path: path, label: "calsyncd", migrator: Self.migrator)
    }

    public func close() throws {
        try pool.close()
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: connections, remote events, audit") { db in
            try db.execute(sql: """
                CREATE TABLE connections (
                    consultant_id TEXT PRIMARY KEY,
                    provider TEXT NOT NULL CHECK (provider IN ('caldav', 'yandex')),
                    url TEXT NOT NULL,
                    username TEXT NOT NULL,
                    password_credential TEXT NOT NULL,
                    tentative_blocks INTEGER NOT NULL,
                    created_ms INTEGER NOT NULL,
                    sync_token TEXT,
                    last_sync_ms INTEGER,
                    last_attempt_ms INTEGER,
                    last_error TEXT,
                    busy_intervals INTEGER NOT NULL DEFAULT 0,
                    -- One warning per line.
                    warnings TEXT NOT NULL DEFAULT ''
                );
                CREATE TABLE remote_events (
                    consultant_id TEXT NOT NULL REFERENCES connections(consultant_id) ON DELETE CASCADE,
                    href TEXT NOT NULL,
                    etag TEXT,
                    data TEXT NOT NULL,
                    PRIMARY KEY (consultant_id, href)
                );
                """)
            try AuditTrail.createTable(db)
        }
        migrator.registerMigration("v2: Google, bookings written into calendars, conflicts") { db in
            // SQLite cannot widen a CHECK in place: the table is copied into one that allows google.
            try db.execute(sql: """
                CREATE TABLE connections_v2 (
                    consultant_id TEXT PRIMARY KEY,
                    provider TEXT NOT NULL CHECK (provider IN ('caldav', 'yandex', 'google')),
                    url TEXT NOT NULL,
                    username TEXT NOT NULL,
                    password_credential TEXT NOT NULL,
                    tentative_blocks INTEGER NOT NULL,
                    created_ms INTEGER NOT NULL,
                    sync_token TEXT,
                    last_sync_ms INTEGER,
                    last_attempt_ms INTEGER,
                    last_error TEXT,
                    busy_intervals INTEGER NOT NULL DEFAULT 0,
                    -- One warning per line.
                    warnings TEXT NOT NULL DEFAULT '',
                    write_bookings INTEGER NOT NULL DEFAULT 1,
                    privacy TEXT NOT NULL DEFAULT 'full' CHECK (privacy IN ('minimal', 'full')),
                    on_remote_delete TEXT NOT NULL DEFAULT 'recreate' CHECK (on_remote_delete IN ('recreate', 'report')),
                    last_write_error TEXT
                );
                INSERT INTO connections_v2 (consultant_id, provider, url, username, password_credential, tentative_blocks, created_ms, sync_token,
                                            last_sync_ms, last_attempt_ms, last_error, busy_intervals, warnings)
                SELECT consultant_id, provider, url, username, password_credential, tentative_blocks, created_ms, sync_token,
                       last_sync_ms, last_attempt_ms, last_error, busy_intervals, warnings FROM connections;
                CREATE TABLE remote_events_v2 (
                    consultant_id TEXT NOT NULL REFERENCES connections_v2(consultant_id) ON DELETE CASCADE,
                    href TEXT NOT NULL,
                    etag TEXT,
                    data TEXT NOT NULL,
                    PRIMARY KEY (consultant_id, href)
                );
                INSERT INTO remote_events_v2 SELECT * FROM remote_events;
                DROP TABLE remote_events;
                DROP TABLE connections;
                ALTER TABLE connections_v2 RENAME TO connections;
                ALTER TABLE remote_events_v2 RENAME TO remote_events;

                -- Each booking as the event stream last said, and where its event is in a
                -- calendar. `version` grows with every change to write; the writer records
                -- `written_version` only for the version it wrote, so a change arriving meanwhile
                -- is written next.
                CREATE TABLE booking_copies (
                    appointment_id TEXT PRIMARY KEY,
                    consultant_id TEXT NOT NULL,
                    -- The appointment as the event carried it (contact masked), JSON.
                    appointment TEXT NOT NULL,
                    end_ms INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    written_version INTEGER NOT NULL DEFAULT 0,
                    -- Where the event is now: whose calendar, its resource and its ETag.
                    remote_consultant_id TEXT,
                    href TEXT,
                    etag TEXT,
                    -- The start the event was written with, to tell a move in the calendar.
                    written_start_ms INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_ms INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX booking_copies_pending ON booking_copies (next_attempt_ms) WHERE written_version < version;
                CREATE INDEX booking_copies_consultant ON booking_copies (consultant_id, end_ms);
                CREATE TABLE followed (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    last_sequence INTEGER NOT NULL
                );
                INSERT INTO followed (id, last_sequence) VALUES (1, 0);
                CREATE TABLE conflicts (
                    id TEXT PRIMARY KEY,
                    consultant_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('overlap', 'moved', 'deleted')),
                    reference TEXT,
                    start_ms INTEGER NOT NULL,
                    event_id TEXT,
                    event_start_ms INTEGER,
                    found_ms INTEGER NOT NULL,
                    -- Still so at the last sync; a conflict that went away stays listed with --all.
                    current INTEGER NOT NULL DEFAULT 1,
                    notified INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX conflicts_consultant ON conflicts (consultant_id, current);
                """)
        }
        migrator.registerMigration("v3: the epoch followed") { db in
            // The epoch of bookingd's log that last_sequence counts in (nil until learnt).
            try db.execute(sql: "ALTER TABLE followed ADD COLUMN epoch TEXT")
        }
        return migrator
    }

    public func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws {
        try await pool.write { db in
            try AuditTrail.record(AuditEntry(command: command, user: user, outcome: outcome, correlationId: correlationId, at: at), in: db)
        }
    }

    public func backup(to path: String) throws(StoreError) -> SQLiteBackup.Copy {
        try SQLiteBackup.copy(pool, to: path)
    }

    // MARK: Connections

    /// Adds the connection, or replaces one for the same consultant. A connection to another
    /// calendar (URL or user) forgets what was read from the old one, and where bookings were
    /// written there. The consultant's bookings yet to come are written (again) if it writes them.
    public func connect(_ connection: CalendarConnection, at now: Date) async throws {
        try await pool.writeBeforeDeadline { db in
            let previous = try Row.fetchOne(db, sql: "SELECT url, username FROM connections WHERE consultant_id = ?", arguments: [connection.consultantId])
            if let previous, previous["url"] as String != connection.url || previous["username"] as String != connection.username {
                try db.execute(sql: "DELETE FROM connections WHERE consultant_id = ?", arguments: [connection.consultantId])
                try Self.forgetWrittenEvents(in: connection.consultantId, db)
            }
            try db.execute(sql: """
                INSERT INTO connections (consultant_id, provider, url, username, password_credential, tentative_blocks, created_ms,
                                         write_bookings, privacy, on_remote_delete)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (consultant_id) DO UPDATE SET provider = excluded.provider, password_credential = excluded.password_credential,
                                                         tentative_blocks = excluded.tentative_blocks, write_bookings = excluded.write_bookings,
                                                         privacy = excluded.privacy, on_remote_delete = excluded.on_remote_delete
                """, arguments: [connection.consultantId, connection.provider.rawValue, connection.url, connection.username,
                                 connection.passwordCredential, connection.tentativeBlocks, Millis.of(now), connection.writeBookings,
                                 connection.privacy.rawValue, connection.onRemoteDelete.rawValue])
            // Written again whatever was written before: the privacy may have changed.
            try db.execute(sql: """
                UPDATE booking_copies SET version = version + 1, attempts = 0, next_attempt_ms = 0
                WHERE (consultant_id = ? OR remote_consultant_id = ?) AND end_ms > ?
                """, arguments: [connection.consultantId, connection.consultantId, Millis.of(now)])
        }
    }

    /// Forgets a connection and everything read through it; false if there was none.
    public func disconnect(consultantId: String) async throws -> Bool {
        try await pool.writeBeforeDeadline { db in
            try db.execute(sql: "DELETE FROM remote_events WHERE consultant_id = ?", arguments: [consultantId])
            try Self.forgetWrittenEvents(in: consultantId, db)
            try db.execute(sql: "DELETE FROM conflicts WHERE consultant_id = ?", arguments: [consultantId])
            try db.execute(sql: "DELETE FROM connections WHERE consultant_id = ?", arguments: [consultantId])
            return db.changesCount > 0
        }
    }

    /// The events written into a calendar calsyncd no longer reaches (disconnected, or another
    /// URL) stay there; the bookings are written afresh wherever they belong now.
    static func forgetWrittenEvents(in consultantId: String, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE booking_copies SET remote_consultant_id = NULL, href = NULL, etag = NULL, written_start_ms = NULL
            WHERE remote_consultant_id = ?
            """, arguments: [consultantId])
    }

    /// Every connection with its status, by consultant id.
    public func connections() async throws -> [(connection: CalendarConnection, status: SyncStatus)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.*, (SELECT COUNT(*) FROM remote_events e WHERE e.consultant_id = c.consultant_id) AS events,
                       (SELECT COUNT(*) FROM booking_copies b WHERE b.remote_consultant_id = c.consultant_id AND b.written_version = b.version) AS written,
                       (SELECT COUNT(*) FROM booking_copies b WHERE (b.consultant_id = c.consultant_id OR b.remote_consultant_id = c.consultant_id)
                                                               AND b.written_version < b.version) AS pending
                FROM connections c ORDER BY consultant_id
                """).map { row in
                let stored = StoredRow(row, table: "connections", keyColumn: "consultant_id")
                guard let provider = CalendarProvider(rawValue: try stored.value("provider")) else { throw stored.unreadable("provider is unknown") }
                let connection = CalendarConnection(
                    consultantId: try stored.value("consultant_id"), provider: provider, url: try stored.value("url"),
                    username: try stored.value("username"), passwordCredential: try stored.value("password_credential"),
                    tentativeBlocks: try stored.value("tentative_blocks"), writeBookings: try stored.value("write_bookings"),
                    privacy: try stored.parsed("privacy", CopyPrivacy.init(rawValue:)),
                    onRemoteDelete: try stored.parsed("on_remote_delete", RemoteDeletePolicy.init(rawValue:)))
                let warnings: String = try stored.value("warnings")
                let status = SyncStatus(
                    lastSyncAt: try stored.optionalInstant("last_sync_ms"), lastAttemptAt: try stored.optionalInstant("last_attempt_ms"),
                    lastError: try stored.value("last_error"), busyIntervals: try stored.value("busy_intervals"), events: try stored.value("events"),
                    warnings: warnings.split(separator: "\n").map(String.init), syncToken: try stored.value("sync_token"),
                    bookingsWritten: try stored.value("written"), bookingsPending: try stored.value("pending"),
                    lastWriteError: try stored.value("last_write_error"))
                return (connection, status)
            }
        }
    }

    // MARK: What the calendar holds

    public func events(of consultantId: String) async throws -> [RemoteEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT href, etag, data FROM remote_events WHERE consultant_id = ? ORDER BY href", arguments: [consultantId]).map {
                RemoteEvent(href: $0["href"], etag: $0["etag"], data: $0["data"])
            }
        }
    }

    /// Applies what a read found, with the token to read from next time, in one transaction:
    /// `complete` (a read of everything) replaces what was kept, otherwise `changed` and
    /// `removed` are applied to it. Nothing is kept for a connection removed meanwhile.
    public func apply(consultantId: String, changed: [RemoteEvent], removed: [String], complete: Bool, syncToken: String?) async throws {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM connections WHERE consultant_id = ?", arguments: [consultantId]) == true else { return }
            if complete {
                try db.execute(sql: "DELETE FROM remote_events WHERE consultant_id = ?", arguments: [consultantId])
            }
            let delete = try db.cachedStatement(sql: "DELETE FROM remote_events WHERE consultant_id = ? AND href = ?")
            for href in removed { try delete.execute(arguments: [consultantId, href]) }
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO remote_events (consultant_id, href, etag, data) VALUES (?, ?, ?, ?)
                ON CONFLICT (consultant_id, href) DO UPDATE SET etag = excluded.etag, data = excluded.data
                """)
            for event in changed { try upsert.execute(arguments: [consultantId, event.href, event.etag, event.data]) }
            try db.execute(sql: "UPDATE connections SET sync_token = ? WHERE consultant_id = ?", arguments: [syncToken, consultantId])
        }
    }

    public func recordSuccess(consultantId: String, at now: Date, busyIntervals: Int, warnings: [String]) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE connections SET last_sync_ms = ?, last_attempt_ms = ?, last_error = NULL, busy_intervals = ?, warnings = ?
                WHERE consultant_id = ?
                """, arguments: [Millis.of(now), Millis.of(now), busyIntervals, warnings.joined(separator: "\n"), consultantId])
        }
    }

    /// A failed attempt: what was read before stays, and so does the busy time handed over.
    public func recordFailure(consultantId: String, at now: Date, error: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE connections SET last_attempt_ms = ?, last_error = ? WHERE consultant_id = ?",
                           arguments: [Millis.of(now), error, consultantId])
        }
    }
}
