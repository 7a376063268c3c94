import AvailabilityStore
import BookingDomain
import CivilTime
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL
import Testing

/// availabilityd's store against a real SQLite file in a temporary directory.
@Suite struct CalendarStoreTests {
    let directory = NSTemporaryDirectory() + "calendar-store-\(UUID().uuidString)"
    var path: String { directory + "/availabilityd.sqlite" }
    let now = Date(timeIntervalSince1970: 1_796_101_200)

    func day(_ text: String) -> LocalDate { LocalDate(text)! }

    @Test func seedsConsultantsOnceAndManagesThem() async throws {
        let store = try CalendarStore(path: path)
        let anna = Consultant(id: "anna", name: "Anna", email: "anna@example.com")
        #expect(try await store.seedConsultants([anna, Consultant(id: "boris", name: "Boris")]))
        #expect(try await !store.seedConsultants([Consultant(id: "other", name: "Other")]))
        #expect(try await store.consultants().map(\.id) == ["anna", "boris"])
        await #expect(throws: ConsultantExists(id: "anna")) { try await store.addConsultant(anna) }
        try await store.setConsultant("anna", active: false)
        #expect(try await store.consultants().map(\.id) == ["boris"])
        try await store.addConsultant(Consultant(id: "anna", name: "Anna K."))
        #expect(try await store.consultants().map(\.name) == ["Anna K.", "Boris"], "back in her old place")
    }

    @Test func blocksAndUnblocksPartOfAPeriod() async throws {
        let store = try CalendarStore(path: path)
        try await store.block(BlockedPeriod(from: day("2026-12-10"), through: day("2026-12-20"), reason: "works"), user: "ops", at: now)
        let removed = try await store.unblock(from: day("2026-12-12"), through: day("2026-12-14"), at: now)
        #expect(removed == [BlockedPeriod(from: day("2026-12-12"), through: day("2026-12-14"), reason: "works")])
        #expect(try await store.blockedPeriods() == [
            BlockedPeriod(from: day("2026-12-10"), through: day("2026-12-11"), reason: "works"),
            BlockedPeriod(from: day("2026-12-15"), through: day("2026-12-20"), reason: "works"),
        ])
        let created = try await DatabasePool(path: path).read { db in try Int64.fetchAll(db, sql: "SELECT created_at FROM blocked_periods") }
        #expect(created == [Millis.of(now), Millis.of(now)])
    }

    @Test func keepsTimeOffToTheMillisecond() async throws {
        let store = try CalendarStore(path: path)
        let range = try DateTimeRange(start: now.addingTimeInterval(0.0006), end: now.addingTimeInterval(86_400))
        let id = try await store.addTimeOff(TimeOff(consultantId: "anna", range: range, reason: "leave"))
        let entries = try await store.timeOffEntries()
        #expect(entries.map(\.id) == [id])
        #expect(Millis.of(entries[0].timeOff.range.start) == Millis.of(now) + 1, "rounded, not truncated")
        #expect(try await store.removeTimeOff(id: id))
        #expect(try await !store.removeTimeOff(id: id))
    }

    @Test func aTimeOffRowThatCannotBeReadIsATypedError() async throws {
        let store = try CalendarStore(path: path)
        let range = try DateTimeRange(start: now, end: now.addingTimeInterval(3600))
        let id = try await store.addTimeOff(TimeOff(consultantId: "anna", range: range, reason: "leave"))
        try store.close()
        let pool = try DatabasePool(path: path)
        // Text sorts after every number, so the CHECK lets a hand-typed word through.
        try await pool.write { db in try db.execute(sql: "UPDATE time_off SET end_ms = 'later'") }
        try pool.close()
        let reopened = try CalendarStore(path: path)
        await #expect {
            try await reopened.timeOffEntries()
        } throws: { error in
            guard case let .unreadableRow(table, key, _)? = error as? StoreError else { return false }
            return table == "time_off" && key == "\(id)"
        }
    }

    @Test func aDatabaseOfTheOldSchemaKeepsItsRowsWithInstantsInMilliseconds() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1: blocked periods and time off'), ('v2: audit'), ('v3: consultants');
                CREATE TABLE blocked_periods (id INTEGER PRIMARY KEY, from_date TEXT NOT NULL, through_date TEXT NOT NULL CHECK (through_date >= from_date),
                                              reason TEXT NOT NULL, created_at TEXT NOT NULL, user TEXT);
                CREATE TABLE time_off (id INTEGER PRIMARY KEY, consultant_id TEXT NOT NULL, start_ms INTEGER NOT NULL,
                                       end_ms INTEGER NOT NULL CHECK (end_ms > start_ms), reason TEXT NOT NULL);
                CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, command TEXT NOT NULL, outcome TEXT NOT NULL,
                                    correlation_id TEXT NOT NULL);
                CREATE TABLE consultants (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, time_zone TEXT NOT NULL,
                                          active INTEGER NOT NULL DEFAULT 1, position INTEGER NOT NULL);
                INSERT INTO blocked_periods (from_date, through_date, reason, created_at, user) VALUES ('2026-12-10', '2026-12-11', 'works', '2026-12-01T05:00:00Z', 'ops');
                INSERT INTO blocked_periods (from_date, through_date, reason, created_at) VALUES ('2026-12-20', '2026-12-20', 'rest', '2026-12-01 05:00:00');
                INSERT INTO audit (at, user, command, outcome, correlation_id) VALUES ('2026-12-01T05:00:00Z', 'ops', 'block', 'ok', 'c-1');
                INSERT INTO consultants (id, name, time_zone, position) VALUES ('anna', 'Anna', 'Europe/Moscow', 0);
                """)
        }
        try old.close()
        let store = try CalendarStore(path: path)
        #expect(try await store.blockedPeriods().map(\.reason) == ["works", "rest"])
        #expect(try await store.consultants().map(\.id) == ["anna"])
        try store.close()
        let (created, entries) = try await DatabasePool(path: path).read { db in
            (try Int64.fetchAll(db, sql: "SELECT created_at FROM blocked_periods ORDER BY id"), try AuditTrail.entries(db, limit: 10))
        }
        #expect(created == [Millis.of(now), Millis.of(now)])
        #expect(entries == [AuditEntry(command: "block", user: "ops", outcome: "ok", correlationId: "c-1", at: now)])
    }
}
