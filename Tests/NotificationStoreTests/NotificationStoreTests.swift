import BookingProtocol
import FieldEncryption
import Foundation
import Notifications
import NotificationStore
import Testing

/// notifyd's store, the same on both engines.
@Suite struct NotificationStoreTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func delivery(_ id: String, appointment: String = "a1", purpose: MessagePurpose = .clientConfirmation, channel: Channel = .email) -> NewDelivery {
        NewDelivery(id: id, appointmentId: appointment, clientId: "c1", reference: "BK-REF", purpose: purpose, channel: channel, audience: .client,
                    recipient: "anna@example.com", messageId: "\(id)@example.com", payload: Array("message \(id)".utf8))
    }

    func event(_ sequence: UInt64, _ deliveries: [NewDelivery], reminder: ReminderChange = .keep) -> AppliedEvent {
        AppliedEvent(eventId: "event-\(sequence)", sequence: sequence, deliveries: deliveries, reminder: reminder)
    }

    func appointment(start: Date) -> AppointmentBody {
        appointmentBody(start: start, now: now)
    }

    @Test(arguments: Engine.allCases) func appliesEachEventOnceAndRemembersTheSequence(engine: Engine) async throws {
        try await withStore(engine) { store, database in
            #expect(try await store.apply([event(1, [delivery("d1")]), event(2, [delivery("d2")])], now: now) == 2)
            // A replay of the same events (after a crash) changes nothing.
            #expect(try await store.apply([event(1, [delivery("d1")]), event(2, [delivery("d2")])], now: now) == 0)
            #expect(try await store.lastSequence() == 2)
            #expect(try await store.deliveries(reference: "BK-REF").map(\.delivery.id) == ["d1", "d2"])
            // The store survives a reopen: the sequence is durable.
            let reopened = try await database.open()
            #expect(try await reopened.lastSequence() == 2)
            try await database.close(reopened)
        }
    }

    @Test(arguments: Engine.allCases) func claimsDueDeliveriesOnceAndRecordsOutcomes(engine: Engine) async throws {
        try await withStore(engine) { store, database in
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
    }

    @Test(arguments: Engine.allCases) func ownClaimsLeftAtACrashGoAgainMarkedInDoubt(engine: Engine) async throws {
        try await withStore(engine) { store, database in
            try await store.apply([event(1, [delivery("d1")])], now: now)
            _ = try await store.claimDue(now: now, limit: 10)
            #expect(try await store.releaseOwnClaims() == 1)
            let retried = try await store.claimDue(now: now, limit: 10)
            #expect(retried.map(\.delivery.id) == ["d1"])
            #expect(retried.first?.inDoubt == true)
        }
    }

    @Test(arguments: Engine.allCases) func aDeadLetterCanBeSentAgain(engine: Engine) async throws {
        try await withStore(engine) { store, database in
            try await store.apply([event(1, [delivery("d1")])], now: now)
            _ = try await store.claimDue(now: now, limit: 10)
            try await store.record([("d1", .failed(error: "SMTP 550"))], at: now)
            let retried = try await store.retry(id: "d1", now: now)
            #expect(retried?.state == .pending)
            #expect(retried?.firstAttemptAt == nil)
            #expect(try await store.retry(id: "missing", now: now) == nil)
        }
    }

    @Test(arguments: Engine.allCases) func remindersAreScheduledMovedAndDropped(engine: Engine) async throws {
        try await withStore(engine) { store, database in
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
    }

    @Test(arguments: Engine.allCases) func aSentReminderIsAcknowledgedOnce(engine: Engine) async throws {
        try await withStore(engine) { store, database in
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
    }

    @Test(arguments: Engine.allCases) func followsFromAnEarlierSequenceWhenTold(engine: Engine) async throws {
        try await withStore(engine) { store, database in
            try await store.apply([event(1, []), event(2, [])], now: now)
            try await store.follow(from: 1)
            #expect(try await store.lastSequence() == 1)
        }
    }

    /// The epoch the last sequence counts in is kept with it, across a reopen: notifyd started
    /// again tells a restored bookingd by it.
    @Test(arguments: Engine.allCases) func keepsTheEpochFollowed(engine: Engine) async throws {
        try await withStore(engine) { store, database in
            #expect(try await store.followedEpoch() == nil)
            try await store.keep(epoch: "1-1-16384")
            try await store.keep(epoch: "7-1-16390")
            let reopened = try await database.open()
            #expect(try await reopened.followedEpoch() == "7-1-16390")
            try await database.close(reopened)
        }
    }
}
