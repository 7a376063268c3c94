import BookingDomain
import CivilTime
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL

/// A consultant id already taken by an active consultant.
public struct ConsultantExists: Error, Sendable, Hashable, CustomStringConvertible {
    public var id: String

    public init(id: String) {
        self.id = id
    }

    public var description: String { "a consultant with the id '\(id)' exists already" }
}

/// availabilityd's own database: the days an admin blocked, the consultants, their time off, and
/// the audit trail, opened the suite's one way (`SQLiteFile`).
public final class CalendarStore: Sendable {
    public let path: String
    private let pool: DatabasePool

    public init(path: String) throws(StoreError) {
        self.path = path
        pool = try SQLiteFile.open(path: path, label: "availabilityd", migrator: Self.migrator)
    }

    public func close() throws {
        try pool.close()
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: blocked periods and time off") { db in
            try db.execute(sql: """
                CREATE TABLE blocked_periods (
                    id INTEGER PRIMARY KEY,
                    from_date TEXT NOT NULL,
                    through_date TEXT NOT NULL CHECK (through_date >= from_date),
                    reason TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    user TEXT
                );
                CREATE TABLE time_off (
                    id INTEGER PRIMARY KEY,
                    consultant_id TEXT NOT NULL,
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                    reason TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: audit") { db in
            try db.execute(sql: """
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY,
                    at TEXT NOT NULL,
                    user TEXT NOT NULL,
                    command TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    correlation_id TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3: consultants") { db in
            try db.execute(sql: """
                -- Seeded from booking.yaml on first start; managed with bookctl after that.
                CREATE TABLE consultants (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT,
                    time_zone TEXT NOT NULL,
                    active INTEGER NOT NULL DEFAULT 1,
                    position INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v4: the suite's audit schema and instants in milliseconds") { db in
            try AuditTrail.replaceOlderTable(db, atSQL: Millis.fromTextSQL("at"))
            try db.execute(sql: """
                ALTER TABLE blocked_periods RENAME TO blocked_periods_before;
                CREATE TABLE blocked_periods (
                    id INTEGER PRIMARY KEY,
                    from_date TEXT NOT NULL,
                    through_date TEXT NOT NULL CHECK (through_date >= from_date),
                    reason TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    user TEXT
                );
                INSERT INTO blocked_periods (id, from_date, through_date, reason, created_at, user)
                SELECT id, from_date, through_date, reason, \(Millis.fromTextSQL("created_at")), user FROM blocked_periods_before;
                DROP TABLE blocked_periods_before;
                """)
        }
        migrator.registerMigration("v5: consultants' locale") { db in
            // NULL (consultants added before): the suite's default language.
            try db.execute(sql: "ALTER TABLE consultants ADD COLUMN locale TEXT")
        }
        migrator.registerMigration("v6: consultants' meeting format") { db in
            try db.execute(sql: """
                -- NULL format: the suite's (booking.yaml's `meeting:`).
                ALTER TABLE consultants ADD COLUMN meeting_format TEXT CHECK (meeting_format IN ('phone', 'video', 'office'));
                ALTER TABLE consultants ADD COLUMN meeting_link TEXT;
                ALTER TABLE consultants ADD COLUMN meeting_address TEXT;
                """)
        }
        migrator.registerMigration("v7: consultants' schedules, busy time") { db in
            try db.execute(sql: """
                -- NULL hours: the business hours.
                ALTER TABLE consultants ADD COLUMN hours TEXT;
                ALTER TABLE consultants ADD COLUMN buffer_before_s INTEGER NOT NULL DEFAULT 0 CHECK (buffer_before_s >= 0);
                ALTER TABLE consultants ADD COLUMN buffer_after_s INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_s >= 0);
                ALTER TABLE consultants ADD COLUMN daily_limit INTEGER CHECK (daily_limit > 0);

                -- Imported from consultants' own calendars; a source's rows are replaced together.
                CREATE TABLE busy_intervals (
                    id INTEGER PRIMARY KEY,
                    consultant_id TEXT NOT NULL,
                    source TEXT NOT NULL,
                    start_ms INTEGER NOT NULL,
                    end_ms INTEGER NOT NULL CHECK (end_ms > start_ms),
                    event_id TEXT
                );
                CREATE INDEX busy_intervals_by_source ON busy_intervals(consultant_id, source);
                """)
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

    // MARK: Consultants

    /// Fills the consultants table from the configuration if it has never been filled.
    public func seedConsultants(_ consultants: [Consultant]) async throws -> Bool {
        try await pool.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM consultants") == 0 else { return false }
            for (position, consultant) in consultants.enumerated() {
                try Self.insert(consultant, position: position, into: db)
            }
            return true
        }
    }

    /// The consultants on offer, in their configured order (`active: false`: those taken out of it).
    public func consultants(active: Bool = true) async throws -> [Consultant] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, email, time_zone, locale, meeting_format, meeting_link, meeting_address,
                       hours, buffer_before_s, buffer_after_s, daily_limit FROM consultants
                WHERE active = ? ORDER BY position, id
                """, arguments: [active]).map { row in
                let stored = StoredRow(row, table: "consultants", keyColumn: "id")
                let locale: String? = try stored.value("locale")
                return Consultant(id: try stored.value("id"), name: try stored.value("name"), email: try stored.value("email"),
                                  timeZone: try stored.value("time_zone"), locale: locale.map(SupportedLocale.init(identifier:)) ?? .fallback,
                                  meeting: try Self.meetingFormat(stored), schedule: try Self.schedule(stored))
            }
        }
    }

    /// Adds a consultant, or brings back a removed one with the new details; `ConsultantExists`
    /// when an active one has the id.
    public func addConsultant(_ consultant: Consultant) async throws {
        try await pool.writeBeforeDeadline { db in
            if let active = try Int.fetchOne(db, sql: "SELECT active FROM consultants WHERE id = ?", arguments: [consultant.id]) {
                guard active == 0 else { throw ConsultantExists(id: consultant.id) }
                try Self.update(consultant, active: true, in: db)
                return
            }
            let position = (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM consultants")) ?? 0
            try Self.insert(consultant, position: position, into: db)
        }
    }

    /// Writes an active consultant's name, email, zone and locale.
    public func updateConsultant(_ consultant: Consultant) async throws {
        try await pool.writeBeforeDeadline { db in try Self.update(consultant, active: true, in: db) }
    }

    private static func update(_ consultant: Consultant, active: Bool, in db: Database) throws {
        try db.execute(sql: """
            UPDATE consultants SET name = ?, email = ?, time_zone = ?, locale = ?, meeting_format = ?, meeting_link = ?, meeting_address = ?,
            hours = ?, buffer_before_s = ?, buffer_after_s = ?, daily_limit = ?, active = ? WHERE id = ?
            """,
            arguments: [consultant.name, consultant.email, consultant.timeZone, consultant.locale.rawValue, consultant.meeting?.kind.rawValue,
                        consultant.meeting?.link, consultant.meeting?.address] + scheduleArguments(consultant.schedule) + [active, consultant.id])
    }

    /// Removes a consultant from the offer (kept, inactive, so past bookings still name them).
    public func setConsultant(_ id: String, active: Bool) async throws {
        try await pool.writeBeforeDeadline { db in
            try db.execute(sql: "UPDATE consultants SET active = ? WHERE id = ?", arguments: [active, id])
        }
    }

    private static func insert(_ consultant: Consultant, position: Int, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO consultants (id, name, email, time_zone, locale, position, meeting_format, meeting_link, meeting_address,
                                     hours, buffer_before_s, buffer_after_s, daily_limit)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            arguments: [consultant.id, consultant.name, consultant.email, consultant.timeZone, consultant.locale.rawValue, position,
                        consultant.meeting?.kind.rawValue, consultant.meeting?.link, consultant.meeting?.address]
                + scheduleArguments(consultant.schedule))
    }

    private static func scheduleArguments(_ schedule: ConsultantSchedule) -> StatementArguments {
        [schedule.hours?.description, Int(schedule.bufferBefore), Int(schedule.bufferAfter), schedule.dailyLimit]
    }

    private static func schedule(_ stored: StoredRow) throws(StoreError) -> ConsultantSchedule {
        let text: String? = try stored.value("hours")
        let before: Int = try stored.value("buffer_before_s"), after: Int = try stored.value("buffer_after_s")
        let limit: Int? = try stored.value("daily_limit")
        do {
            return try ConsultantSchedule.validated(hours: try text.map(WeeklyHours.init(parsing:)), bufferBefore: TimeInterval(before),
                                                    bufferAfter: TimeInterval(after), dailyLimit: limit)
        } catch {
            throw stored.unreadable(error.message)
        }
    }

    private static func meetingFormat(_ stored: StoredRow) throws(StoreError) -> MeetingFormat? {
        guard let format: String = try stored.value("meeting_format") else { return nil }
        let link: String? = try stored.value("meeting_link"), address: String? = try stored.value("meeting_address")
        do {
            return try MeetingFormat.validated(kind: format, link: link, address: address)
        } catch {
            throw stored.unreadable("meeting_\(error.field): \(error.message)")
        }
    }

    // MARK: Time off

    public func addTimeOff(_ timeOff: TimeOff) async throws -> Int64 {
        try await pool.writeBeforeDeadline { db in
            try db.execute(sql: "INSERT INTO time_off (consultant_id, start_ms, end_ms, reason) VALUES (?, ?, ?, ?)", arguments: [
                timeOff.consultantId, Millis.of(timeOff.range.start), Millis.of(timeOff.range.end), timeOff.reason,
            ])
            return db.lastInsertedRowID
        }
    }

    public func removeTimeOff(id: Int64) async throws -> Bool {
        try await pool.writeBeforeDeadline { db in
            try db.execute(sql: "DELETE FROM time_off WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Time off with its ids, for listing.
    public func timeOffEntries() async throws -> [(id: Int64, timeOff: TimeOff)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, consultant_id, start_ms, end_ms, reason FROM time_off ORDER BY start_ms").map { row in
                let stored = StoredRow(row, table: "time_off", keyColumn: "id")
                guard let range = try? DateTimeRange(start: try stored.instant("start_ms"), end: try stored.instant("end_ms")) else {
                    throw stored.unreadable("end_ms is not after start_ms")
                }
                return (try stored.value("id"), TimeOff(consultantId: try stored.value("consultant_id"), range: range, reason: try stored.value("reason")))
            }
        }
    }

    public func timeOff() async throws -> [TimeOff] {
        try await timeOffEntries().map(\.timeOff)
    }

    // MARK: Busy time

    /// Replaces everything `source` gave for the consultant; intervals that ended before `now`
    /// are not kept, since they can take no slot.
    public func replaceBusy(consultantId: String, source: String, with intervals: [BusyInterval], now: Date) async throws {
        try await pool.writeBeforeDeadline { db in
            try db.execute(sql: "DELETE FROM busy_intervals WHERE consultant_id = ? AND source = ?", arguments: [consultantId, source])
            let insert = try db.cachedStatement(sql: "INSERT INTO busy_intervals (consultant_id, source, start_ms, end_ms, event_id) VALUES (?, ?, ?, ?, ?)")
            for interval in intervals where interval.range.end > now {
                try insert.execute(arguments: [consultantId, source, Millis.of(interval.range.start), Millis.of(interval.range.end), interval.eventId])
            }
        }
    }

    /// Busy time still to come (or under way) at `now`, in time order.
    public func busy(now: Date) async throws -> [BusyInterval] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, consultant_id, source, start_ms, end_ms, event_id FROM busy_intervals WHERE end_ms > ? ORDER BY start_ms, id",
                             arguments: [Millis.of(now)]).map { row in
                let stored = StoredRow(row, table: "busy_intervals", keyColumn: "id")
                guard let range = try? DateTimeRange(start: try stored.instant("start_ms"), end: try stored.instant("end_ms")) else {
                    throw stored.unreadable("end_ms is not after start_ms")
                }
                return BusyInterval(consultantId: try stored.value("consultant_id"), range: range, source: try stored.value("source"),
                                    eventId: try stored.value("event_id"))
            }
        }
    }

    // MARK: Blocked days

    public func blockedPeriods() async throws -> [BlockedPeriod] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, from_date, through_date, reason FROM blocked_periods ORDER BY from_date, id").map { row in
                try Self.blockedPeriod(row)
            }
        }
    }

    @discardableResult
    public func block(_ period: BlockedPeriod, user: String?, at now: Date) async throws -> Int64 {
        try await pool.writeBeforeDeadline { db in
            try db.execute(
                sql: "INSERT INTO blocked_periods (from_date, through_date, reason, created_at, user) VALUES (?, ?, ?, ?, ?)",
                arguments: [period.from.description, period.through.description, period.reason, Millis.of(now), user]
            )
            return db.lastInsertedRowID
        }
    }

    public func removeBlock(id: Int64) async throws {
        try await pool.writeBeforeDeadline { db in try db.execute(sql: "DELETE FROM blocked_periods WHERE id = ?", arguments: [id]) }
    }

    /// Removes every blocked period that lies within `from...through`, and trims those that
    /// overlap it, so the days in the range end up unblocked; returns the days unblocked.
    public func unblock(from: LocalDate, through: LocalDate, at now: Date) async throws -> [BlockedPeriod] {
        try await pool.writeBeforeDeadline { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, from_date, through_date, reason FROM blocked_periods WHERE from_date <= ? AND through_date >= ?",
                arguments: [through.description, from.description]
            )
            var removed: [BlockedPeriod] = []
            for row in rows {
                let period = try Self.blockedPeriod(row)
                removed.append(BlockedPeriod(from: max(period.from, from), through: min(period.through, through), reason: period.reason))
                try db.execute(sql: "DELETE FROM blocked_periods WHERE id = ?", arguments: [row["id"] as Int64])
                let trimmed = [
                    period.from < from ? (period.from, from.adding(days: -1)) : nil,
                    period.through > through ? (through.adding(days: 1), period.through) : nil,
                ]
                for case let (start, end)? in trimmed {
                    try db.execute(sql: "INSERT INTO blocked_periods (from_date, through_date, reason, created_at) VALUES (?, ?, ?, ?)",
                                   arguments: [start.description, end.description, period.reason, Millis.of(now)])
                }
            }
            return removed
        }
    }

    private static func blockedPeriod(_ row: Row) throws(StoreError) -> BlockedPeriod {
        let stored = StoredRow(row, table: "blocked_periods", keyColumn: "id")
        return BlockedPeriod(from: try stored.parsed("from_date", LocalDate.init), through: try stored.parsed("through_date", LocalDate.init),
                             reason: try stored.value("reason"))
    }
}
