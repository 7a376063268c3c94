import BookingProtocol
import Foundation
import Notifications
import NotificationStore
import Testing

/// Several notifyd instances on one database: each delivery has one sender at a time, a claim
/// is a lease another instance takes over once it ends, and the event stream both follow is
/// applied once.
@Suite struct InstancesTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func delivery(_ id: String) -> NewDelivery {
        NewDelivery(id: id, appointmentId: "a-\(id)", clientId: "c-\(id)", reference: "BK-REF", purpose: .clientConfirmation, channel: .email,
                    audience: .client, recipient: "anna@example.com", messageId: "\(id)@example.com", payload: Array("message \(id)".utf8))
    }

    func events(_ count: Int, perEvent: Int) -> [AppliedEvent] {
        (1...count).map { sequence in
            AppliedEvent(eventId: "e\(sequence)", sequence: UInt64(sequence), deliveries: (1...perEvent).map { delivery("e\(sequence).d\($0)") }, reminder: .keep)
        }
    }

    /// Two instances open at once on one database.
    func withTwoInstances(_ engine: Engine, lease: Duration = .seconds(600),
                          _ body: (any NotificationStore, any NotificationStore) async throws -> Void) async throws {
        let database = try await TestDatabase(engine)
        let first = try await database.open(instance: "host-a", lease: lease)
        let second = try await database.open(instance: "host-b", lease: lease)
        do {
            try await body(first, second)
        } catch {
            try? await database.close(first)
            try? await database.close(second)
            throw error
        }
        try await database.close(first)
        try await database.close(second)
    }

    @Test(arguments: Engine.allCases) func twoInstancesClaimingAtOnceNeverTakeTheSameDelivery(engine: Engine) async throws {
        try await withTwoInstances(engine) { first, second in
            try await first.apply(events(20, perEvent: 10), now: now)
            let now = self.now
            @Sendable func claimAll(_ store: any NotificationStore) async throws -> [String] {
                var claimed: [String] = []
                while true {
                    let batch = try await store.claimDue(now: now, limit: 7)
                    if batch.isEmpty { return claimed }
                    claimed += batch.map(\.delivery.id)
                }
            }
            async let one = claimAll(first)
            async let other = claimAll(second)
            let (a, b) = try await (one, other)
            #expect(a.count + b.count == 200)
            #expect(Set(a).isDisjoint(with: b))
            #expect(Set(a + b).count == 200)
            #expect(try await first.counts() == [.sending: 200])
        }
    }

    @Test(arguments: Engine.allCases) func aClaimWhoseLeaseEndedIsTakenOverAndTheLateOutcomeIsRefused(engine: Engine) async throws {
        try await withTwoInstances(engine, lease: .seconds(60)) { first, second in
            try await first.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: [delivery("d1")], reminder: .keep)], now: now)
            #expect(try await first.claimDue(now: now, limit: 10).map(\.delivery.id) == ["d1"])
            // Within the lease, the other instance leaves it alone; it wakes when the lease ends.
            #expect(try await second.claimDue(now: now.addingTimeInterval(59), limit: 10).isEmpty)
            #expect(try await second.nextDue() == now.addingTimeInterval(60))

            let takenOver = try await second.claimDue(now: now.addingTimeInterval(60), limit: 10)
            #expect(takenOver.map(\.delivery.id) == ["d1"])
            #expect(takenOver.first?.inDoubt == true, "the first claimant may have sent it")
            #expect(takenOver.first?.attempts == 2)

            // The first instance's late outcome is refused; the claimant's own counts.
            #expect(try await first.record([("d1", .failed(error: "SMTP 550"))], at: now.addingTimeInterval(61)) == ["d1"])
            #expect(try await first.delivery(id: "d1")?.state == .sending)
            #expect(try await second.record([("d1", .sent)], at: now.addingTimeInterval(62)) == [])
            #expect(try await first.delivery(id: "d1")?.state == .sent)
            #expect(try await first.attempts(deliveryId: "d1").map(\.outcome) == ["sent"])
        }
    }

    @Test(arguments: Engine.allCases) func anInstanceReleasesOnlyItsOwnClaimsAtStart(engine: Engine) async throws {
        try await withTwoInstances(engine) { first, second in
            try await first.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: [delivery("d1"), delivery("d2")], reminder: .keep)], now: now)
            #expect(try await first.claimDue(now: now, limit: 1).map(\.delivery.id) == ["d1"])
            #expect(try await second.claimDue(now: now, limit: 1).map(\.delivery.id) == ["d2"])
            #expect(try await first.releaseOwnClaims() == 1)
            #expect(try await first.delivery(id: "d1")?.state == .pending)
            #expect(try await first.delivery(id: "d2")?.state == .sending)
        }
    }

    @Test(arguments: Engine.allCases) func twoInstancesApplyingTheSameEventsQueueEachDeliveryOnce(engine: Engine) async throws {
        try await withTwoInstances(engine) { first, second in
            let stream = events(30, perEvent: 4)
            let now = self.now
            // Each follows the stream in batches of its own size, at the same time.
            @Sendable func follow(_ store: any NotificationStore, batch: Int) async throws -> Int {
                var applied = 0
                for start in stride(from: 0, to: stream.count, by: batch) {
                    applied += try await store.apply(Array(stream[start..<min(start + batch, stream.count)]), now: now)
                }
                return applied
            }
            async let one = follow(first, batch: 3)
            async let other = follow(second, batch: 7)
            let (a, b) = try await (one, other)
            #expect(a + b == 30, "each event applied by one instance")
            #expect(try await first.counts() == [.pending: 120])
            #expect(try await second.lastSequence() == 30)

            // An instance behind the other never moves the followed position back.
            #expect(try await first.apply(Array(stream.prefix(5)), now: now) == 0)
            #expect(try await first.lastSequence() == 30)
        }
    }

    @Test(arguments: Engine.allCases) func aReminderIsQueuedOnceWhenBothInstancesFindItDue(engine: Engine) async throws {
        try await withTwoInstances(engine) { first, second in
            let start = now.addingTimeInterval(86_400)
            let body = appointmentBody(start: start, now: now)
            let entry = ReminderEntry(appointment: body, dueAt: now)
            try await first.apply([AppliedEvent(eventId: "e1", sequence: 1, deliveries: [], reminder: .schedule(entry))], now: now)
            let key = ReminderKey(appointmentId: body.id, start: start)
            let email = NewDelivery(id: key.deliveryId(.email), appointmentId: body.id, clientId: body.clientId, reference: body.reference,
                                    purpose: .clientReminder, channel: .email, audience: .client, recipient: "anna@example.com", payload: Array("reminder".utf8))
            let due = try await (first.dueReminders(now: now), second.dueReminders(now: now))
            #expect(due.0.count == 1 && due.1.count == 1)
            async let one: Void = first.queue(entry, deliveries: [email], now: now)
            async let other: Void = second.queue(entry, deliveries: [email], now: now)
            _ = try await (one, other)
            #expect(try await first.counts() == [.pending: 1])
            #expect(try await second.reminder(appointmentId: body.id)?.state == .queued)

            _ = try await first.claimDue(now: now, limit: 10)
            try await first.record([(email.id, .sent)], at: now)
            #expect(try await second.remindersToAcknowledge().count == 1)
            try await first.acknowledge(appointmentId: body.id, start: start)
            try await second.acknowledge(appointmentId: body.id, start: start)
            #expect(try await second.remindersToAcknowledge().isEmpty)
            #expect(try await first.reminder(appointmentId: body.id)?.state == .acknowledged)
        }
    }
}
