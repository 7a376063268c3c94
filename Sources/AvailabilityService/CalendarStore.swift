import BookingDomain
import Foundation
import BookingProtocol
import CivilTime
import GRDB
import SQLiteBackup

/// availabilityd's own database: the days an admin blocked and consultants' time off.
final class CalendarStore: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
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
        try migrator.migrate(queue)
    }

    func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO audit (at, user, command, outcome, correlation_id) VALUES (?, ?, ?, ?, ?)",
                arguments: [ISO8601DateFormatter().string(from: at), user, command, outcome, correlationId]
            )
        }
    }

    func backup(to path: String) throws -> SQLiteBackup.Copy {
        try SQLiteBackup.copy(queue, to: path)
    }

    /// Fills the consultants table from the configuration if it has never been filled.
    func seedConsultants(_ consultants: [Consultant]) throws -> Bool {
        try queue.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM consultants") == 0 else { return false }
            for (position, consultant) in consultants.enumerated() {
                try insert(consultant, position: position, into: db)
            }
            return true
        }
    }

    func consultants() throws -> [Consultant] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, email, time_zone FROM consultants WHERE active = 1 ORDER BY position, id").map {
                Consultant(id: $0["id"], name: $0["name"], email: $0["email"], timeZone: $0["time_zone"])
            }
        }
    }

    /// Adds a consultant, or brings back a removed one with the new details.
    func addConsultant(_ consultant: Consultant) throws {
        try queue.write { db in
            if let active = try Int.fetchOne(db, sql: "SELECT active FROM consultants WHERE id = ?", arguments: [consultant.id]) {
                guard active == 0 else {
                    throw ProtocolError(.conflict, "a consultant with the id '\(consultant.id)' exists already", field: "id")
                }
                try db.execute(sql: "UPDATE consultants SET name = ?, email = ?, time_zone = ?, active = 1 WHERE id = ?",
                               arguments: [consultant.name, consultant.email, consultant.timeZone, consultant.id])
                return
            }
            let position = (try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(position), -1) + 1 FROM consultants")) ?? 0
            try insert(consultant, position: position, into: db)
        }
    }

    /// Removes a consultant from the offer (kept, inactive, so past bookings still name them).
    func setConsultant(_ id: String, active: Bool) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE consultants SET active = ? WHERE id = ?", arguments: [active, id])
        }
    }

    private func insert(_ consultant: Consultant, position: Int, into db: Database) throws {
        try db.execute(sql: "INSERT INTO consultants (id, name, email, time_zone, position) VALUES (?, ?, ?, ?, ?)",
                       arguments: [consultant.id, consultant.name, consultant.email, consultant.timeZone, position])
    }

    func addTimeOff(_ timeOff: TimeOff) throws -> Int64 {
        try queue.write { db in
            try db.execute(sql: "INSERT INTO time_off (consultant_id, start_ms, end_ms, reason) VALUES (?, ?, ?, ?)", arguments: [
                timeOff.consultantId, Int64(timeOff.range.start.timeIntervalSince1970 * 1000), Int64(timeOff.range.end.timeIntervalSince1970 * 1000), timeOff.reason,
            ])
            return db.lastInsertedRowID
        }
    }

    func removeTimeOff(id: Int64) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM time_off WHERE id = ?", arguments: [id])
            return db.changesCount > 0
        }
    }

    /// Time off with its ids, for listing.
    func timeOffEntries() throws -> [(id: Int64, timeOff: TimeOff)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, consultant_id, start_ms, end_ms, reason FROM time_off ORDER BY start_ms").compactMap { row in
                let start = Date(timeIntervalSince1970: Double(row["start_ms"] as Int64) / 1000)
                let end = Date(timeIntervalSince1970: Double(row["end_ms"] as Int64) / 1000)
                guard let range = try? DateTimeRange(start: start, end: end) else { return nil }
                return (row["id"], TimeOff(consultantId: row["consultant_id"], range: range, reason: row["reason"]))
            }
        }
    }

    func blockedPeriods() throws -> [BlockedPeriod] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT from_date, through_date, reason FROM blocked_periods ORDER BY from_date, id").compactMap { row in
                guard let from = LocalDate(row["from_date"] as String), let through = LocalDate(row["through_date"] as String) else { return nil }
                return BlockedPeriod(from: from, through: through, reason: row["reason"])
            }
        }
    }

    func timeOff() throws -> [TimeOff] {
        try timeOffEntries().map(\.timeOff)
    }

    @discardableResult
    func block(_ period: BlockedPeriod, user: String?, at now: Date) throws -> Int64 {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO blocked_periods (from_date, through_date, reason, created_at, user) VALUES (?, ?, ?, ?, ?)",
                arguments: [period.from.description, period.through.description, period.reason, ISO8601DateFormatter().string(from: now), user]
            )
            return db.lastInsertedRowID
        }
    }

    func removeBlock(id: Int64) throws {
        try queue.write { db in try db.execute(sql: "DELETE FROM blocked_periods WHERE id = ?", arguments: [id]) }
    }

    /// Removes every blocked period that lies within `from...through`, and trims those that
    /// overlap it, so the days in the range end up unblocked.
    func unblock(from: LocalDate, through: LocalDate) throws -> [BlockedPeriod] {
        try queue.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, from_date, through_date, reason FROM blocked_periods WHERE from_date <= ? AND through_date >= ?",
                arguments: [through.description, from.description]
            )
            var removed: [BlockedPeriod] = []
            for row in rows {
                guard let start = LocalDate(row["from_date"] as String), let end = LocalDate(row["through_date"] as String) else { continue }
                let reason: String = row["reason"]
                removed.append(BlockedPeriod(from: max(start, from), through: min(end, through), reason: reason))
                try db.execute(sql: "DELETE FROM blocked_periods WHERE id = ?", arguments: [row["id"] as Int64])
                if start < from {
                    try db.execute(sql: "INSERT INTO blocked_periods (from_date, through_date, reason, created_at) VALUES (?, ?, ?, datetime('now'))",
                                   arguments: [start.description, from.adding(days: -1).description, reason])
                }
                if end > through {
                    try db.execute(sql: "INSERT INTO blocked_periods (from_date, through_date, reason, created_at) VALUES (?, ?, ?, datetime('now'))",
                                   arguments: [through.adding(days: 1).description, end.description, reason])
                }
            }
            return removed
        }
    }
}
