import BookingDomain
import CivilTime
import Foundation
import StoreSQL

/// availabilityd's store logic, written once in the SQL both engines share, over one
/// transaction (`SQLTransaction`). Every change first moves the change version: its row's lock
/// puts changes from several replicas in one order, so a check-then-write (a consultant's id,
/// the first seed, an unblock's trimming) sees the changes committed before it.
public struct CalendarTransaction<Transaction: SQLTransaction> {
    public let transaction: Transaction

    public init(_ transaction: Transaction) {
        self.transaction = transaction
    }

    // MARK: The change version

    public func changeVersion() throws -> Int64 {
        guard let row = try transaction.row("SELECT version FROM change_version WHERE id = 1") else {
            throw StoreError.unreadableRow(table: "change_version", key: "1", problem: "the row is missing")
        }
        return try StoredRow(row, table: "change_version", key: "1").value("version")
    }

    /// The first statement of every change: a replica that sees the version move reloads.
    private func changing() throws {
        try transaction.execute("UPDATE change_version SET version = version + 1 WHERE id = 1")
    }

    // MARK: Consultants

    public func seedConsultants(_ consultants: [Consultant]) throws -> Bool {
        // Taken first: of two replicas starting on a new database, the second waits and sees the first's rows.
        try changing()
        guard try count("SELECT COUNT(*) AS n FROM consultants") == 0 else { return false }
        for (position, consultant) in consultants.enumerated() {
            try insert(consultant, position: position)
        }
        return true
    }

    public func consultants(active: Bool) throws -> [Consultant] {
        try transaction.rows("""
            SELECT id, name, email, time_zone, locale, meeting_format, meeting_link, meeting_address,
                   hours, buffer_before_s, buffer_after_s, daily_limit FROM consultants
            WHERE active = ? ORDER BY position, id
            """, active).map { row in
            let stored = StoredRow(row, table: "consultants", keyColumn: "id")
            let locale: String? = try stored.value("locale")
            return Consultant(id: try stored.value("id"), name: try stored.value("name"), email: try stored.value("email"),
                              timeZone: try stored.value("time_zone"), locale: locale.map(SupportedLocale.init(identifier:)) ?? .fallback,
                              meeting: try Self.meetingFormat(stored), schedule: try Self.schedule(stored))
        }
    }

    public func addConsultant(_ consultant: Consultant) throws {
        try changing()
        if let row = try transaction.row("SELECT active FROM consultants WHERE id = ?", consultant.id) {
            let active: Bool = try StoredRow(row, table: "consultants", key: consultant.id).value("active")
            guard !active else { throw ConsultantExists(id: consultant.id) }
            try update(consultant, active: true)
            return
        }
        let position = try count("SELECT COALESCE(MAX(position), -1) + 1 AS n FROM consultants")
        try insert(consultant, position: position)
    }

    public func updateConsultant(_ consultant: Consultant) throws {
        try changing()
        try update(consultant, active: true)
    }

    public func setConsultant(_ id: String, active: Bool) throws {
        try changing()
        try transaction.execute("UPDATE consultants SET active = ? WHERE id = ?", active, id)
    }

    private func update(_ consultant: Consultant, active: Bool) throws {
        try transaction.execute("""
            UPDATE consultants SET name = ?, email = ?, time_zone = ?, locale = ?, meeting_format = ?, meeting_link = ?, meeting_address = ?,
            hours = ?, buffer_before_s = ?, buffer_after_s = ?, daily_limit = ?, active = ? WHERE id = ?
            """, [consultant.name, consultant.email, consultant.timeZone, consultant.locale.rawValue, consultant.meeting?.kind.rawValue,
                  consultant.meeting?.link, consultant.meeting?.address].map(\.sqlValue)
                + Self.scheduleArguments(consultant.schedule) + [active.sqlValue, consultant.id.sqlValue])
    }

    private func insert(_ consultant: Consultant, position: Int) throws {
        try transaction.execute("""
            INSERT INTO consultants (id, name, email, time_zone, locale, position, meeting_format, meeting_link, meeting_address,
                                     hours, buffer_before_s, buffer_after_s, daily_limit)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [consultant.id.sqlValue, consultant.name.sqlValue, consultant.email.sqlValue, consultant.timeZone.sqlValue,
                  consultant.locale.rawValue.sqlValue, position.sqlValue, consultant.meeting?.kind.rawValue.sqlValue ?? .null,
                  consultant.meeting?.link.sqlValue ?? .null, consultant.meeting?.address.sqlValue ?? .null]
                + Self.scheduleArguments(consultant.schedule))
    }

    private static func scheduleArguments(_ schedule: ConsultantSchedule) -> [SQLValue] {
        [schedule.hours?.description.sqlValue ?? .null, Int(schedule.bufferBefore).sqlValue, Int(schedule.bufferAfter).sqlValue,
         schedule.dailyLimit.sqlValue]
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

    public func addTimeOff(_ timeOff: TimeOff) throws -> Int64 {
        try changing()
        return try insertedId(transaction.row(
            "INSERT INTO time_off (consultant_id, start_ms, end_ms, reason) VALUES (?, ?, ?, ?) RETURNING id",
            timeOff.consultantId, Millis.of(timeOff.range.start), Millis.of(timeOff.range.end), timeOff.reason
        ), table: "time_off")
    }

    public func removeTimeOff(id: Int64) throws -> Bool {
        try changing()
        return try transaction.execute("DELETE FROM time_off WHERE id = ?", id) > 0
    }

    public func timeOffEntries() throws -> [(id: Int64, timeOff: TimeOff)] {
        try transaction.rows("SELECT id, consultant_id, start_ms, end_ms, reason FROM time_off ORDER BY start_ms").map { row in
            let stored = StoredRow(row, table: "time_off", keyColumn: "id")
            return (try stored.value("id"), TimeOff(consultantId: try stored.value("consultant_id"), range: try Self.range(stored),
                                                    reason: try stored.value("reason")))
        }
    }

    // MARK: Busy time

    public func replaceBusy(consultantId: String, source: String, with intervals: [BusyInterval], now: Date) throws {
        try changing()
        try transaction.execute("DELETE FROM busy_intervals WHERE consultant_id = ? AND source = ?", consultantId, source)
        for interval in intervals where interval.range.end > now {
            try transaction.execute("INSERT INTO busy_intervals (consultant_id, source, start_ms, end_ms, event_id) VALUES (?, ?, ?, ?, ?)",
                                    consultantId, source, Millis.of(interval.range.start), Millis.of(interval.range.end), interval.eventId)
        }
    }

    public func busy(now: Date) throws -> [BusyInterval] {
        try transaction.rows("SELECT id, consultant_id, source, start_ms, end_ms, event_id FROM busy_intervals WHERE end_ms > ? ORDER BY start_ms, id",
                             Millis.of(now)).map { row in
            let stored = StoredRow(row, table: "busy_intervals", keyColumn: "id")
            return BusyInterval(consultantId: try stored.value("consultant_id"), range: try Self.range(stored), source: try stored.value("source"),
                                eventId: try stored.value("event_id"))
        }
    }

    private static func range(_ stored: StoredRow) throws(StoreError) -> DateTimeRange {
        guard let range = try? DateTimeRange(start: try stored.instant("start_ms"), end: try stored.instant("end_ms")) else {
            throw stored.unreadable("end_ms is not after start_ms")
        }
        return range
    }

    // MARK: Blocked days

    public func blockedPeriods() throws -> [BlockedPeriod] {
        try transaction.rows("SELECT id, from_date, through_date, reason FROM blocked_periods ORDER BY from_date, id").map { try BlockedPeriod(row: $0) }
    }

    public func block(_ period: BlockedPeriod, user: String?, at now: Date) throws -> Int64 {
        try changing()
        return try insertedId(transaction.row(
            #"INSERT INTO blocked_periods (from_date, through_date, reason, created_at, "user") VALUES (?, ?, ?, ?, ?) RETURNING id"#,
            period.from.description, period.through.description, period.reason, Millis.of(now), user
        ), table: "blocked_periods")
    }

    public func removeBlock(id: Int64) throws {
        try changing()
        try transaction.execute("DELETE FROM blocked_periods WHERE id = ?", id)
    }

    public func unblock(from: LocalDate, through: LocalDate, at now: Date) throws -> [BlockedPeriod] {
        try changing()
        let rows = try transaction.rows("SELECT id, from_date, through_date, reason FROM blocked_periods WHERE from_date <= ? AND through_date >= ? ORDER BY id",
                                        through.description, from.description)
        var removed: [BlockedPeriod] = []
        for row in rows {
            let period = try BlockedPeriod(row: row)
            removed.append(BlockedPeriod(from: max(period.from, from), through: min(period.through, through), reason: period.reason))
            let id: Int64 = try StoredRow(row, table: "blocked_periods", keyColumn: "id").value("id")
            try transaction.execute("DELETE FROM blocked_periods WHERE id = ?", id)
            let trimmed = [
                period.from < from ? (period.from, from.adding(days: -1)) : nil,
                period.through > through ? (through.adding(days: 1), period.through) : nil,
            ]
            for case let (start, end)? in trimmed {
                try transaction.execute("INSERT INTO blocked_periods (from_date, through_date, reason, created_at) VALUES (?, ?, ?, ?)",
                                        start.description, end.description, period.reason, Millis.of(now))
            }
        }
        return removed
    }

    // MARK: Helpers

    private func count(_ sql: String) throws -> Int {
        guard let row = try transaction.row(sql, [SQLValue]()) else { return 0 }
        return try StoredRow(row, table: "consultants", key: "-").value("n")
    }

    private func insertedId(_ row: SQLRow?, table: String) throws -> Int64 {
        guard let row else { throw StoreError.unreadableRow(table: table, key: "-", problem: "the insert returned no id") }
        return try StoredRow(row, table: table, keyColumn: "id").value("id")
    }
}

private extension BlockedPeriod {
    init(row: SQLRow) throws(StoreError) {
        let stored = StoredRow(row, table: "blocked_periods", keyColumn: "id")
        self.init(from: try stored.parsed("from_date", LocalDate.init), through: try stored.parsed("through_date", LocalDate.init),
                  reason: try stored.value("reason"))
    }
}
