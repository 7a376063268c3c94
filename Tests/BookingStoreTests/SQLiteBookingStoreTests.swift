import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import StoreSQL
import Testing

/// What only the SQLite store has (its file, its partial indexes, its older schemas), against a
/// real SQLite file in a temporary directory; the fixture of the SQLite-only suites.
@Suite struct SQLiteBookingStoreTests: StoreScenario {
    let temporary = TemporaryDirectory()
    var directory: String { temporary.path }
    let store: SQLiteBookingStore
    /// The key the store's database is encrypted with, for a test that opens it again.
    let master = MasterKey(SecretKey.random())

    init() throws {
        store = try SQLiteBookingStore(path: temporary.path + "/bookingd.sqlite", masterKey: master)
    }

    /// SQLite uses a partial index only when the query's WHERE implies the index's: the one
    /// condition for an active appointment must keep reading as the migrations wrote it.
    @Test func queriesOnActiveAppointmentsUseTheirPartialIndexes() async throws {
        let pool = try DatabasePool(path: directory + "/bookingd.sqlite")
        let plan = try await pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT consultant_id FROM appointments WHERE \(AppointmentStatus.activeCondition) AND start_ms >= 0 AND start_ms < 1")
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
        try pool.close()
        #expect(AppointmentStatus.activeCondition == "status IN ('scheduled', 'confirmed')")
        #expect(plan.contains("active_appointments_by_start"), "\(plan)")
    }

    @Test func survivesReopeningAndRemembersWhatWasPublished() async throws {
        _ = try await store.apply(.book(try booking(1)), context: context())
        try await store.setPublishedThrough(1)
        try store.close()
        let reopened = try SQLiteBookingStore(path: directory + "/bookingd.sqlite", masterKey: master)
        #expect(try await reopened.publishedThrough() == 1)
        #expect(try await reopened.appointments(from: nil, to: nil, status: .confirmed, limit: 10).count == 1)
    }
}

extension SQLiteBookingStoreTests {
    /// The epoch is the database's: the same however often it is opened, new once restored.
    @Test func theEpochStaysWithTheDatabaseUntilARestoreRenewsIt() async throws {
        let epoch = try await store.epoch()
        #expect(!epoch.isEmpty)
        try store.close()
        let path = directory + "/bookingd.sqlite"
        #expect(try await SQLiteBookingStore(path: path, masterKey: master).epoch() == epoch)
        try SQLiteBookingStore.renewEpoch(at: path)
        let restored = try SQLiteBookingStore(path: path, masterKey: master)
        #expect(try await restored.epoch() != epoch)
        let other = try SQLiteBookingStore(path: directory + "/other.sqlite", masterKey: master)
        #expect(try await other.epoch() != epoch, "each database has its own")
    }

    @Test func aDatabaseOfTheOldSchemaGetsRevisionsFromItsHistory() async throws {
        let path = directory + "/old.sqlite"
        let old = try DatabasePool(path: path)
        try Schema.migrator(master: master).migrate(old, upTo: "v3: a contact's appointments")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO clients (id, email, created_at) VALUES ('00000000-0000-0000-0000-000000000001', 'old@example.com', 0);
                INSERT INTO appointments (id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                                          time_zone, locale, created_at, updated_at, reminder_sent)
                VALUES ('00000000-0000-0000-0000-0000000000aa', ?, '00000000-0000-0000-0000-000000000001', 'anna', 1796194800000, 1796196600000,
                        'cancelled', 'Old Client', 'old@example.com', '+79161234567', NULL, 'Europe/Moscow', 'ru', 0, 0, 1);
                INSERT INTO history (appointment_id, kind, to_status, actor, at) VALUES
                    ('00000000-0000-0000-0000-0000000000aa', 'created', 'confirmed', 'client', 0),
                    ('00000000-0000-0000-0000-0000000000aa', 'reminder_sent', 'confirmed', 'system', 1),
                    ('00000000-0000-0000-0000-0000000000aa', 'rescheduled', 'confirmed', 'client', 2),
                    ('00000000-0000-0000-0000-0000000000aa', 'cancelled', 'cancelled', 'client', 3);
                INSERT INTO audit (at, actor, user, command, reference, correlation_id, outcome) VALUES (0, 'admin', 'ops', 'pause', NULL, 'c', 'ok');
                """, arguments: [BookingReference.random().description])
        }
        try old.close()
        let reopened = try SQLiteBookingStore(path: path, masterKey: master)
        let appointments = try await reopened.appointments(from: nil, to: nil, status: nil, limit: 10)
        #expect(appointments.map(\.revision) == [2])
        #expect(appointments.map(\.contactInfo.email) == ["old@example.com"])
    }

    @Test func anAppointmentRowThatCannotBeReadIsATypedError() async throws {
        let booked = try await store.apply(.book(try booking(1)), context: context())
        var handEdited = Configuration()
        handEdited.foreignKeysEnabled = false
        let pool = try DatabasePool(path: directory + "/bookingd.sqlite", configuration: handEdited)
        try await pool.write { db in try db.execute(sql: "UPDATE appointments SET client_id = 'not-a-uuid'") }
        try pool.close()
        await #expect(throws: StoreError.unreadableRow(table: "appointments", key: booked.appointment.reference,
                                                        problem: "column client_id holds 'not-a-uuid', which is not a valid UUID")) {
            try await store.appointment(reference: try BookingReference(parsing: booked.appointment.reference))
        }
    }
}

/// A directory that lives as long as the test that made it.
final class TemporaryDirectory: Sendable {
    let path = NSTemporaryDirectory() + "store-\(UUID().uuidString)"

    init() {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
