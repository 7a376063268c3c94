import Foundation
import Notifications
import NotificationStore
import Testing

@Suite struct SQLiteNotificationStoreTests {
    let directory: String
    let store: SQLiteNotificationStore
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    init() throws {
        directory = NSTemporaryDirectory() + "notify-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite")
    }

    func delivery(_ id: String, appointment: String = "a1", purpose: MessagePurpose = .clientConfirmation, channel: Channel = .email) -> NewDelivery {
        NewDelivery(id: id, appointmentId: appointment, reference: "BK-REF", purpose: purpose, channel: channel, audience: .client,
                    recipient: "anna@example.com", messageId: "\(id)@example.com", payload: Array("message \(id)".utf8))
    }

    func event(_ sequence: UInt64, _ deliveries: [NewDelivery], reminder: ReminderChange = .keep) -> AppliedEvent {
        AppliedEvent(eventId: "event-\(sequence)", sequence: sequence, deliveries: deliveries, reminder: reminder)
    }

    @Test func appliesEachEventOnceAndRemembersTheSequence() throws {
        #expect(try store.apply([event(1, [delivery("d1")]), event(2, [delivery("d2")])], now: now) == 2)
        // A replay of the same events (after a crash) changes nothing.
        #expect(try store.apply([event(1, [delivery("d1")]), event(2, [delivery("d2")])], now: now) == 0)
        #expect(try store.lastSequence() == 2)
        #expect(try store.deliveries(reference: "BK-REF").map(\.delivery.id) == ["d1", "d2"])
        // The store survives a reopen: the sequence is durable.
        let reopened = try SQLiteNotificationStore(path: directory + "/notifyd.sqlite")
        #expect(try reopened.lastSequence() == 2)
    }

    @Test func claimsDueDeliveriesOnceAndRecordsOutcomes() throws {
        try store.apply([event(1, [delivery("d1"), delivery("d2")])], now: now)
        let claimed = try store.claimDue(now: now, limit: 10)
        #expect(claimed.map(\.delivery.id) == ["d1", "d2"])
        #expect(claimed.allSatisfy { $0.state == .sending && $0.attempts == 1 })
        #expect(try store.claimDue(now: now, limit: 10).isEmpty)

        let later = now.addingTimeInterval(10)
        try store.record([("d1", .sent), ("d2", .retry(error: "SMTP 451 try later", at: later))], at: now)
        #expect(try store.delivery(id: "d1")?.state == .sent)
        #expect(try store.delivery(id: "d2")?.lastError == "SMTP 451 try later")
        #expect(try store.nextDue() == later)
        #expect(try store.claimDue(now: now, limit: 10).isEmpty)
        let again = try store.claimDue(now: later, limit: 10)
        #expect(again.map(\.attempts) == [2])
        #expect(again.first?.firstAttemptAt == now)
        try store.record([("d2", .failed(error: "SMTP 550 no such user"))], at: later)
        #expect(try store.failed().map(\.delivery.id) == ["d2"])
        #expect(try store.attempts(deliveryId: "d2").map(\.outcome) == ["retry", "failed"])
    }

    @Test func deliveriesInFlightAtACrashGoAgainMarkedInDoubt() throws {
        try store.apply([event(1, [delivery("d1")])], now: now)
        _ = try store.claimDue(now: now, limit: 10)
        #expect(try store.recoverInFlight() == 1)
        let retried = try store.claimDue(now: now, limit: 10)
        #expect(retried.map(\.delivery.id) == ["d1"])
        #expect(retried.first?.inDoubt == true)
    }

    @Test func aDeadLetterCanBeSentAgain() throws {
        try store.apply([event(1, [delivery("d1")])], now: now)
        _ = try store.claimDue(now: now, limit: 10)
        try store.record([("d1", .failed(error: "SMTP 550"))], at: now)
        let retried = try store.retry(id: "d1", now: now)
        #expect(retried?.state == .pending)
        #expect(retried?.firstAttemptAt == nil)
        #expect(try store.retry(id: "missing", now: now) == nil)
    }

    @Test func remindersAreScheduledMovedAndDropped() throws {
        let start = now.addingTimeInterval(3 * 86_400)
        let entry = ReminderEntry(appointmentId: "a1", reference: "BK-REF", start: start, dueAt: start.addingTimeInterval(-86_400), appointment: [1])
        try store.apply([event(1, [], reminder: .schedule(entry))], now: now)
        #expect(try store.dueReminders(now: now).isEmpty)
        #expect(try store.dueReminders(now: entry.dueAt).map(\.appointmentId) == ["a1"])

        // Queued: its messages join the deliveries.
        let key = "reminder.a1.\(Int64(start.timeIntervalSince1970 * 1000))"
        try store.queue(entry, deliveries: [delivery("\(key).email", purpose: .clientReminder)], now: entry.dueAt)
        #expect(try store.reminder(appointmentId: "a1")?.state == .queued)
        #expect(try store.dueReminders(now: entry.dueAt).isEmpty)

        // Moved before it went: the pending reminder for the old time is withdrawn, and the new
        // time is scheduled.
        let moved = ReminderEntry(appointmentId: "a1", reference: "BK-REF", start: start.addingTimeInterval(86_400),
                                  dueAt: start, appointment: [2])
        try store.apply([event(2, [], reminder: .schedule(moved))], now: now)
        #expect(try store.delivery(id: "\(key).email")?.state == .cancelled)
        #expect(try store.reminder(appointmentId: "a1")?.state == .scheduled)
        #expect(try store.reminder(appointmentId: "a1")?.start == moved.start)

        // Cancelled: dropped.
        try store.apply([event(3, [], reminder: .drop(appointmentId: "a1"))], now: now)
        #expect(try store.reminder(appointmentId: "a1")?.state == .dropped)
        #expect(try store.dueReminders(now: moved.dueAt).isEmpty)
    }

    @Test func aSentReminderIsAcknowledgedOnce() throws {
        let start = now.addingTimeInterval(2 * 86_400)
        let entry = ReminderEntry(appointmentId: "a1", reference: "BK-REF", start: start, dueAt: start.addingTimeInterval(-86_400), appointment: [1])
        try store.apply([event(1, [], reminder: .schedule(entry))], now: now)
        let id = "reminder.a1.\(Int64(start.timeIntervalSince1970 * 1000)).email"
        try store.queue(entry, deliveries: [delivery(id, purpose: .clientReminder)], now: entry.dueAt)
        #expect(try store.remindersToAcknowledge().isEmpty)
        _ = try store.claimDue(now: entry.dueAt, limit: 10)
        try store.record([(id, .sent)], at: entry.dueAt)
        #expect(try store.remindersToAcknowledge().map(\.appointmentId) == ["a1"])
        try store.acknowledge(appointmentId: "a1", start: start)
        #expect(try store.remindersToAcknowledge().isEmpty)
        #expect(try store.reminder(appointmentId: "a1")?.state == .acknowledged)
    }

    @Test func followsFromAnEarlierSequenceWhenTold() throws {
        try store.apply([event(1, []), event(2, [])], now: now)
        try store.follow(from: 1)
        #expect(try store.lastSequence() == 1)
    }
}
