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

    func delivery(_ id: String, appointment: String = "a1", purpose: MessagePurpose = .clientConfirmation, channel: Channel = .email) -> NewDelivery {
        NewDelivery(id: id, appointmentId: appointment, clientId: "c1", reference: "BK-REF", purpose: purpose, channel: channel, audience: .client,
                    recipient: "anna@example.com", messageId: "\(id)@example.com", payload: Array("message \(id)".utf8))
    }

    func event(_ sequence: UInt64, _ deliveries: [NewDelivery], reminder: ReminderChange = .keep) -> AppliedEvent {
        AppliedEvent(eventId: "event-\(sequence)", sequence: sequence, deliveries: deliveries, reminder: reminder)
    }

    func appointment(start: Date) -> AppointmentBody {
        AppointmentBody(
            reference: "BK-REF", id: "a1", clientId: "c1", consultantId: "anna", start: start, end: start.addingTimeInterval(1800), status: "confirmed",
            contact: ContactBody(name: "Anna", email: "anna@example.com", phone: "+79161234567", company: nil), timeZone: "Europe/Moscow",
            locale: "ru", createdAt: now, updatedAt: now, reminderSent: false, revision: 0
        )
    }

    @Test func aReminderWhoseAppointmentCannotBeReadIsATypedError() async throws {
        let start = now.addingTimeInterval(3 * 86_400)
        try await store.apply([event(1, [], reminder: .schedule(ReminderEntry(appointment: appointment(start: start), dueAt: now)))], now: now)
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

    @Test func appliesEachEventOnceAndRemembersTheSequence() async throws {
        #expect(try await store.apply([event(1, [delivery("d1")]), event(2, [delivery("d2")])], now: now) == 2)
        // A replay of the same events (after a crash) changes nothing.
        #expect(try await store.apply([event(1, [delivery("d1")]), event(2, [delivery("d2")])], now: now) == 0)
        #expect(try await store.lastSequence() == 2)
        #expect(try await store.deliveries(reference: "BK-REF").map(\.delivery.id) == ["d1", "d2"])
        // The store survives a reopen: the sequence is durable.
        let reopened = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite", masterKey: master)
        #expect(try await reopened.lastSequence() == 2)
    }

    @Test func claimsDueDeliveriesOnceAndRecordsOutcomes() async throws {
        try await store.apply([event(1, [delivery("d1"), delivery("d2")])], now: now)
        let claimed = try await store.claimDue(now: now, limit: 10)
        #expect(claimed.map(\.delivery.id) == ["d1", "d2"])
        #expect(claimed.allSatisfy { $0.state == .sending && $0.attempts == 1 })
        #expect(try await store.claimDue(now: now, limit: 10).isEmpty)

        let later = now.addingTimeInterval(10)
        try await store.record([("d1", .sent), ("d2", .retry(error: "SMTP 451 try later", at: later))], at: now)
        #expect(try await store.delivery(id: "d1")?.state == .sent)
        #expect(try await store.delivery(id: "d2")?.lastError == "SMTP 451 try later")
        #expect(try await store.nextDue() == later)
        #expect(try await store.claimDue(now: now, limit: 10).isEmpty)
        let again = try await store.claimDue(now: later, limit: 10)
        #expect(again.map(\.attempts) == [2])
        #expect(again.first?.firstAttemptAt == now)
        try await store.record([("d2", .failed(error: "SMTP 550 no such user"))], at: later)
        #expect(try await store.failed().map(\.delivery.id) == ["d2"])
        #expect(try await store.attempts(deliveryId: "d2").map(\.outcome) == ["retry", "failed"])
    }

    @Test func deliveriesInFlightAtACrashGoAgainMarkedInDoubt() async throws {
        try await store.apply([event(1, [delivery("d1")])], now: now)
        _ = try await store.claimDue(now: now, limit: 10)
        #expect(try await store.recoverInFlight() == 1)
        let retried = try await store.claimDue(now: now, limit: 10)
        #expect(retried.map(\.delivery.id) == ["d1"])
        #expect(retried.first?.inDoubt == true)
    }

    @Test func aDeadLetterCanBeSentAgain() async throws {
        try await store.apply([event(1, [delivery("d1")])], now: now)
        _ = try await store.claimDue(now: now, limit: 10)
        try await store.record([("d1", .failed(error: "SMTP 550"))], at: now)
        let retried = try await store.retry(id: "d1", now: now)
        #expect(retried?.state == .pending)
        #expect(retried?.firstAttemptAt == nil)
        #expect(try await store.retry(id: "missing", now: now) == nil)
    }

    @Test func remindersAreScheduledMovedAndDropped() async throws {
        let start = now.addingTimeInterval(3 * 86_400)
        let entry = ReminderEntry(appointment: appointment(start: start), dueAt: start.addingTimeInterval(-86_400))
        try await store.apply([event(1, [], reminder: .schedule(entry))], now: now)
        #expect(try await store.dueReminders(now: now).isEmpty)
        #expect(try await store.dueReminders(now: entry.dueAt).map(\.appointmentId) == ["a1"])

        // Queued: its messages join the deliveries.
        let key = ReminderKey(appointmentId: "a1", start: start)
        try await store.queue(entry, deliveries: [delivery(key.deliveryId(.email), purpose: .clientReminder)], now: entry.dueAt)
        #expect(try await store.reminder(appointmentId: "a1")?.state == .queued)
        #expect(try await store.dueReminders(now: entry.dueAt).isEmpty)

        // Moved before it went: the pending reminder for the old time is withdrawn, and the new
        // time is scheduled.
        let moved = ReminderEntry(appointment: appointment(start: start.addingTimeInterval(86_400)), dueAt: start)
        try await store.apply([event(2, [], reminder: .schedule(moved))], now: now)
        #expect(try await store.delivery(id: key.deliveryId(.email))?.state == .cancelled)
        #expect(try await store.reminder(appointmentId: "a1")?.state == .scheduled)
        #expect(try await store.reminder(appointmentId: "a1")?.start == moved.start)

        // Cancelled: dropped.
        try await store.apply([event(3, [], reminder: .drop(appointmentId: "a1"))], now: now)
        #expect(try await store.reminder(appointmentId: "a1")?.state == .dropped)
        #expect(try await store.dueReminders(now: moved.dueAt).isEmpty)
    }

    @Test func aSentReminderIsAcknowledgedOnce() async throws {
        let start = now.addingTimeInterval(2 * 86_400)
        let entry = ReminderEntry(appointment: appointment(start: start), dueAt: start.addingTimeInterval(-86_400))
        try await store.apply([event(1, [], reminder: .schedule(entry))], now: now)
        let id = ReminderKey(appointmentId: "a1", start: start).deliveryId(.email)
        try await store.queue(entry, deliveries: [delivery(id, purpose: .clientReminder)], now: entry.dueAt)
        #expect(try await store.remindersToAcknowledge().isEmpty)
        _ = try await store.claimDue(now: entry.dueAt, limit: 10)
        try await store.record([(id, .sent)], at: entry.dueAt)
        #expect(try await store.remindersToAcknowledge().map(\.appointmentId) == ["a1"])
        try await store.acknowledge(appointmentId: "a1", start: start)
        #expect(try await store.remindersToAcknowledge().isEmpty)
        #expect(try await store.reminder(appointmentId: "a1")?.state == .acknowledged)
    }

    @Test func followsFromAnEarlierSequenceWhenTold() async throws {
        try await store.apply([event(1, []), event(2, [])], now: now)
        try await store.follow(from: 1)
        #expect(try await store.lastSequence() == 1)
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
