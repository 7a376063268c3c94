import AvailabilityStore
import BookingDomain
import CivilTime
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL
import Testing

/// availabilityd's store on both engines (`CalendarStoreFixture`): a real SQLite file in a
/// temporary directory, and a database of its own on the tests' PostgreSQL server.
@Suite struct CalendarStoreTests {
    let directory = NSTemporaryDirectory() + "calendar-store-\(UUID().uuidString)"
    var path: String { directory + "/availabilityd.sqlite" }
    let now = Date(timeIntervalSince1970: 1_796_101_200)

    func day(_ text: String) -> LocalDate { LocalDate(text)! }

    @Test(arguments: CalendarEngine.allCases)
    func seedsConsultantsOnceAndManagesThem(engine: CalendarEngine) async throws {
        let store = try await CalendarStoreFixture(engine).store
        let anna = Consultant(id: "anna", name: "Anna", email: "anna@example.com")
        #expect(try await store.seedConsultants([anna, Consultant(id: "boris", name: "Boris")]))
        #expect(try await !store.seedConsultants([Consultant(id: "other", name: "Other")]))
        #expect(try await store.consultants().map(\.id) == ["anna", "boris"])
        await #expect(throws: ConsultantExists(id: "anna")) { try await store.addConsultant(anna) }
        try await store.setConsultant("anna", active: false)
        #expect(try await store.consultants().map(\.id) == ["boris"])
        #expect(try await store.consultants(active: false).map(\.id) == ["anna"])
        try await store.addConsultant(Consultant(id: "anna", name: "Anna K."))
        #expect(try await store.consultants().map(\.name) == ["Anna K.", "Boris"], "back in her old place")
        try await store.addConsultant(Consultant(id: "vera", name: "Vera", locale: .en))
        #expect(try await store.consultants().map(\.id) == ["anna", "boris", "vera"], "a new one goes last")
    }

    @Test(arguments: CalendarEngine.allCases)
    func keepsAConsultantsScheduleAndMeetingFormat(engine: CalendarEngine) async throws {
        let store = try await CalendarStoreFixture(engine).store
        let schedule = try ConsultantSchedule.validated(hours: try WeeklyHours(parsing: "Mon-Fri 10:00-14:00"), bufferBefore: 600, bufferAfter: 300,
                                                        dailyLimit: 4)
        let anna = Consultant(id: "anna", name: "Anna", email: "anna@example.com", timeZone: "Europe/Moscow", locale: .en,
                              meeting: try MeetingFormat.validated(kind: "video", link: "https://meet.example.com/anna", address: nil), schedule: schedule)
        _ = try await store.seedConsultants([anna])
        #expect(try await store.consultants() == [anna])
        var edited = anna
        edited.schedule = ConsultantSchedule()
        edited.meeting = nil
        try await store.updateConsultant(edited)
        #expect(try await store.consultants() == [edited])
    }

    @Test(arguments: CalendarEngine.allCases)
    func blocksAndUnblocksPartOfAPeriod(engine: CalendarEngine) async throws {
        let fixture = try await CalendarStoreFixture(engine)
        let store = fixture.store
        try await store.block(BlockedPeriod(from: day("2026-12-10"), through: day("2026-12-20"), reason: "works"), user: "ops", at: now)
        let removed = try await store.unblock(from: day("2026-12-12"), through: day("2026-12-14"), at: now)
        #expect(removed == [BlockedPeriod(from: day("2026-12-12"), through: day("2026-12-14"), reason: "works")])
        #expect(try await store.blockedPeriods() == [
            BlockedPeriod(from: day("2026-12-10"), through: day("2026-12-11"), reason: "works"),
            BlockedPeriod(from: day("2026-12-15"), through: day("2026-12-20"), reason: "works"),
        ])
        #expect(try await fixture.integers("SELECT created_at FROM blocked_periods") == [Millis.of(now), Millis.of(now)])
        let id = try await store.block(BlockedPeriod(from: day("2026-12-31"), through: day("2026-12-31"), reason: "eve"), user: nil, at: now)
        try await store.removeBlock(id: id)
        #expect(try await store.blockedPeriods().count == 2)
    }

    @Test(arguments: CalendarEngine.allCases)
    func keepsTimeOffToTheMillisecond(engine: CalendarEngine) async throws {
        let store = try await CalendarStoreFixture(engine).store
        let range = try DateTimeRange(start: now.addingTimeInterval(0.0006), end: now.addingTimeInterval(86_400))
        let id = try await store.addTimeOff(TimeOff(consultantId: "anna", range: range, reason: "leave"))
        let entries = try await store.timeOffEntries()
        #expect(entries.map(\.id) == [id])
        #expect(Millis.of(entries[0].timeOff.range.start) == Millis.of(now) + 1, "rounded, not truncated")
        #expect(try await store.removeTimeOff(id: id))
        #expect(try await !store.removeTimeOff(id: id))
    }

    @Test(arguments: CalendarEngine.allCases)
    func replacesASourcesBusyTimeAndForgetsWhatIsOver(engine: CalendarEngine) async throws {
        let store = try await CalendarStoreFixture(engine).store
        func interval(_ hours: Double, source: String, event: String?) throws -> BusyInterval {
            BusyInterval(consultantId: "anna", range: try DateTimeRange(start: now.addingTimeInterval(hours * 3600), end: now.addingTimeInterval(hours * 3600 + 1800)),
                         source: source, eventId: event)
        }
        try await store.replaceBusy(consultantId: "anna", source: "caldav", with: [try interval(-2, source: "caldav", event: "past"),
                                                                                  try interval(3, source: "caldav", event: "e1")], now: now)
        try await store.replaceBusy(consultantId: "anna", source: "google", with: [try interval(1, source: "google", event: nil)], now: now)
        #expect(try await store.busy(now: now).map(\.eventId) == [nil, "e1"], "in time order, the past one not kept")
        try await store.replaceBusy(consultantId: "anna", source: "caldav", with: [], now: now)
        #expect(try await store.busy(now: now).map(\.source) == ["google"])
    }

    @Test(arguments: CalendarEngine.allCases)
    func recordsTheAuditTrail(engine: CalendarEngine) async throws {
        let fixture = try await CalendarStoreFixture(engine)
        try await fixture.store.recordAudit(command: "block", user: "ops", outcome: "ok", correlationId: "c-1", at: now)
        #expect(try await fixture.integers("SELECT at FROM audit") == [Millis.of(now)])
    }

    // MARK: The change version

    /// Every change moves the version in its own transaction; reads leave it.
    @Test(arguments: CalendarEngine.allCases)
    func everyChangeMovesTheVersionAndNoReadDoes(engine: CalendarEngine) async throws {
        let store = try await CalendarStoreFixture(engine).store
        var last = try await store.changeVersion()
        func moved(_ change: String) async throws {
            let version = try await store.changeVersion()
            #expect(version > last, "\(change) moves the version")
            last = version
        }
        _ = try await store.seedConsultants([Consultant(id: "anna", name: "Anna")])
        try await moved("seeding")
        try await store.addConsultant(Consultant(id: "boris", name: "Boris"))
        try await moved("adding a consultant")
        try await store.updateConsultant(Consultant(id: "boris", name: "Boris B."))
        try await moved("editing a consultant")
        try await store.setConsultant("boris", active: false)
        try await moved("removing a consultant")
        let timeOff = try await store.addTimeOff(TimeOff(consultantId: "anna", range: try DateTimeRange(start: now, end: now.addingTimeInterval(3600)), reason: "x"))
        try await moved("adding time off")
        _ = try await store.removeTimeOff(id: timeOff)
        try await moved("removing time off")
        try await store.replaceBusy(consultantId: "anna", source: "caldav", with: [], now: now)
        try await moved("replacing busy time")
        let block = try await store.block(BlockedPeriod(from: day("2026-12-10"), through: day("2026-12-11"), reason: "r"), user: nil, at: now)
        try await moved("blocking")
        _ = try await store.unblock(from: day("2026-12-11"), through: day("2026-12-11"), at: now)
        try await moved("unblocking")
        try await store.removeBlock(id: block)
        try await moved("removing a block")

        _ = try await store.served(now: now)
        _ = try await store.consultants()
        try await store.recordAudit(command: "block", user: "ops", outcome: "ok", correlationId: "c", at: now)
        #expect(try await store.changeVersion() == last, "reads and the audit trail leave it")
        #expect(try await store.served(now: now).version == last)
    }

    /// Two replicas on one store: a change through one is in what the other reads, at a newer version.
    @Test(arguments: CalendarEngine.allCases)
    func aReplicaReadsAnothersChangeAtANewerVersion(engine: CalendarEngine) async throws {
        let fixture = try await CalendarStoreFixture(engine)
        let other = try await fixture.secondReplica()
        _ = try await fixture.store.seedConsultants([Consultant(id: "anna", name: "Anna")])
        let before = try await other.served(now: now)
        try await fixture.store.block(BlockedPeriod(from: day("2026-12-10"), through: day("2026-12-10"), reason: "r"), user: "ops", at: now)
        let after = try await other.served(now: now)
        #expect(after.version > before.version)
        #expect(after.blocked.map(\.reason) == ["r"])
        #expect(after.consultants.map(\.id) == ["anna"])
    }

    /// Replicas starting together on a new database seed it once; adding one id through two of
    /// them at once adds it once.
    @Test func replicasOnOnePostgreSQLDatabaseSeedOnceAndAddAnIdOnce() async throws {
        let fixture = try await CalendarStoreFixture(.postgresql)
        let replicas = [fixture.store, try await fixture.secondReplica(), try await fixture.secondReplica()]
        let seed = [Consultant(id: "anna", name: "Anna"), Consultant(id: "boris", name: "Boris")]
        let seeded = try await withThrowingTaskGroup(of: Bool.self) { group in
            for replica in replicas { group.addTask { try await replica.seedConsultants(seed) } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(seeded.filter { $0 }.count == 1)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for replica in replicas {
                group.addTask {
                    do {
                        try await replica.addConsultant(Consultant(id: "vera", name: "Vera"))
                        return "added"
                    } catch let exists as ConsultantExists {
                        return "\(exists)"
                    } catch {
                        return "failed: \(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.sorted() == ["a consultant with the id 'vera' exists already", "a consultant with the id 'vera' exists already", "added"])
        #expect(try await fixture.store.consultants().map(\.id) == ["anna", "boris", "vera"])
    }

    @Test func aTimeOffRowThatCannotBeReadIsATypedError() async throws {
        let store = try SQLiteCalendarStore(path: path)
        let range = try DateTimeRange(start: now, end: now.addingTimeInterval(3600))
        let id = try await store.addTimeOff(TimeOff(consultantId: "anna", range: range, reason: "leave"))
        try store.close()
        let pool = try DatabasePool(path: path)
        // Text sorts after every number, so the CHECK lets a hand-typed word through.
        try await pool.write { db in try db.execute(sql: "UPDATE time_off SET end_ms = 'later'") }
        try pool.close()
        let reopened = try SQLiteCalendarStore(path: path)
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
        let store = try SQLiteCalendarStore(path: path)
        #expect(try await store.blockedPeriods().map(\.reason) == ["works", "rest"])
        #expect(try await store.changeVersion() == 0, "the change version starts with the migration that makes it")
        #expect(try await store.consultants().map(\.id) == ["anna"])
        try store.close()
        let (created, entries) = try await DatabasePool(path: path).read { db in
            (try Int64.fetchAll(db, sql: "SELECT created_at FROM blocked_periods ORDER BY id"), try AuditTrail.entries(db, limit: 10))
        }
        #expect(created == [Millis.of(now), Millis.of(now)])
        #expect(entries == [AuditEntry(command: "block", user: "ops", outcome: "ok", correlationId: "c-1", at: now)])
    }
}
