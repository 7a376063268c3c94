import BookingProtocol
import FieldEncryption
import Foundation
import GRDB
import Notifications
@testable import NotificationStore
import SQLiteStorage
import SharedTables
import StoreSQL
import SuiteTesting
import Testing

@Suite struct SQLiteNotificationStoreTests {
    let directory: String
    let master = MasterKey(.random())
    let store: SQLiteNotificationStore
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    init() throws {
        directory = NSTemporaryDirectory() + "notify-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite", masterKey: master)
    }

    @Test func aReminderWhoseAppointmentCannotBeReadIsATypedError() async throws {
        let start = now.addingTimeInterval(3 * 86_400)
        let entry = ReminderEntry(appointment: appointmentBody(start: start, now: now), dueAt: now)
        try await store.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: [], reminder: .schedule(entry))], now: now)
        try store.close()
        let pool = try DatabasePool(path: directory + "/notifyd.sqlite")
        try await pool.write { db in try db.execute(sql: "UPDATE reminders SET appointment = x'7b6e6f'") }
        try pool.close()
        let reopened = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite", masterKey: master)
        await #expect {
            try await reopened.dueReminders(now: now)
        } throws: { error in
            guard case let StoreError.unreadableRow(table, key, _)? = error as? StoreError else { return false }
            return table == "reminders" && key == "a1"
        }
    }

    @Test func recordsItsAuditInTheOneSchema() async throws {
        try await store.recordAudit(command: "retry", user: "ops", outcome: "ok", correlationId: "c-1", at: now)
        let entries = try await DatabasePool(path: directory + "/notifyd.sqlite").read { db in try AuditTrail.entries(db, limit: 10) }
        #expect(entries == [AuditEntry(command: "retry", user: "ops", outcome: "ok", correlationId: "c-1", at: now)])
    }

    @Test func aDatabaseOfTheFirstSchemaKeepsItsAuditAndDeliveries() async throws {
        try store.close()
        let path = directory + "/old.sqlite"
        let old = try DatabasePool(path: path)
        try SQLiteNotificationStore.migrator(masterKey: master).migrate(old, upTo: "v1")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO audit (at, command, user, outcome, correlation_id) VALUES (1790000000000, 'retry', 'ops', 'ok', 'c-1');
                INSERT INTO deliveries (id, appointment_id, reference, purpose, channel, audience, recipient, payload, state, created_at, next_attempt_at)
                VALUES ('d1', 'a1', 'BK-REF', 'client-confirmation', 'email', 'client', 'anna@example.com', x'00', 'sent', 1790000000000, 1790000000000);
                """)
        }
        try old.close()
        let reopened = try SQLiteNotificationStore(path: path, masterKey: master)
        #expect(try await reopened.deliveries(reference: "BK-REF").map(\.state) == [.sent])
        try reopened.close()
        let entries = try await DatabasePool(path: path).read { db in try AuditTrail.entries(db, limit: 10) }
        #expect(entries == [AuditEntry(command: "retry", user: "ops", outcome: "ok", correlationId: "c-1", at: now)])
    }
}

/// The store on a disk that fills up and is freed again, as notifyd met it.
@Suite(.enabled(if: SmallDisk.isAvailable, "mounts a tmpfs: root only"))
struct NotificationStoreOnAFullDiskTests {
    @Test func anOutcomeThatCouldNotBeWrittenIsRecordedOnceTheDiskIsFreedAndNothingStaysSending() async throws {
        let disk = try SmallDisk(megabytes: 2)
        defer { disk.unmount() }
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let store = try SQLiteNotificationStore(path: disk.directory + "/notifyd.sqlite", masterKey: MasterKey(.random()))
        defer { try? store.close() }
        func delivery(_ id: String) -> NewDelivery {
            NewDelivery(id: id, appointmentId: "a-\(id)", clientId: "c-\(id)", reference: "BK-REF", purpose: .clientConfirmation, channel: .email, audience: .client,
                        recipient: "anna@example.com", messageId: "\(id)@example.com", payload: Array(repeating: 0x41, count: 2048))
        }
        try await store.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: (1...3).map { delivery("d\($0)") }, reminder: .keep)], now: now)
        let claimed = try await store.claimDue(now: now, limit: 10)
        #expect(claimed.count == 3)

        try disk.fill()
        await #expect(throws: (any Error).self, "a full disk refuses the outcome") {
            try await store.record(claimed.map { ($0.delivery.id, .sent) }, at: now)
        }
        await #expect(throws: (any Error).self, "and new events") {
            try await store.apply([AppliedEvent(eventId: "e2", sequence: 2, deliveries: [delivery("d4")], reminder: .keep)], now: now)
        }
        #expect(try await store.counts()[.sending] == 3, "nothing was half-written")

        // The same store, without reopening, works again once there is room.
        try disk.free()
        try await store.record(claimed.map { ($0.delivery.id, .sent) }, at: now)
        try await store.apply([AppliedEvent(eventId: "e2", sequence: 2, deliveries: [delivery("d4")], reminder: .keep)], now: now)
        #expect(try await store.claimDue(now: now, limit: 10).map(\.delivery.id) == ["d4"])
        let counts = try await store.counts()
        #expect(counts[.sent] == 3 && counts[.sending] == 1 && counts[.pending] == nil, "\(counts)")
    }
}
