import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SuiteTesting
import Testing

/// A follower whose consumer is slower than bookingd's stream (as notifyd was in the soak, where
/// an arrival batch and a replay were rendered at once and its whole lag was held in memory).
@Suite(.serialized) struct EventFollowerTests {
    /// Applies in sequence order and records how it was called; holds its first batch until
    /// `open`, so the stream runs ahead of it.
    final class SlowConsumer: EventConsumer {
        let state = NIOLockedValueBox((applied: UInt64(0), inside: 0, mostInside: 0, largestBatch: 0, open: false))

        func appliedThrough() async -> UInt64? { state.withLockedValue { $0.applied } }

        func apply(_ events: [EventBody]) async -> EventApplication {
            state.withLockedValue { state in
                state.inside += 1
                state.mostInside = max(state.mostInside, state.inside)
                state.largestBatch = max(state.largestBatch, events.count)
            }
            while !state.withLockedValue({ $0.open }) { try? await Task.sleep(for: .milliseconds(10)) }
            // A suspension inside, as a consumer that asks another daemon or its database has.
            try? await Task.sleep(for: .milliseconds(5))
            return state.withLockedValue { state in
                defer { state.inside -= 1 }
                for event in events.sorted(by: { $0.sequence < $1.sequence }) where event.sequence > state.applied {
                    guard event.sequence == state.applied + 1 else { return .gap }
                    state.applied = event.sequence
                }
                return .applied
            }
        }

        func restart(asking bookingd: DaemonClient, lastSequence: UInt64?) async throws {
            state.withLockedValue { $0.applied = lastSequence ?? 0 }
        }
    }

    @Test func aSlowConsumerGetsOneBoundedBatchAtATimeAndEveryEventInOrder() async throws {
        let suite = try await InProcessSuite.start()
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let consumer = SlowConsumer()
        let follower = try EventFollower(name: "test-follower", consumer: consumer, bookingd: bookingd,
                                         eventsEndpoints: suite.configuration.endpoints.bookingdEvents, context: suite.context,
                                         replayTimeout: .seconds(10), checkEvery: .milliseconds(200), logger: Logger(label: "test-follower"))
        let group = ServiceGroup(configuration: .init(services: [.init(service: follower)], logger: Logger(label: "test-follower")))
        let running = Task { try await group.run() }

        // Three working days, 10:00 to 16:30, with both consultants: 84 bookings, then 84 cancellations.
        var references: [String] = []
        for day in ["2026-12-02", "2026-12-03", "2026-12-04"] {
            for half in 0..<14 {
                for consultant in ["anna", "boris"] {
                    let start = ISO8601.parseInstant(String(format: "%@T%02d:%02d:00+03:00", day, 10 + half / 2, half % 2 * 30))!
                    let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
                        start: start, contact: ContactBody(name: "Иван Петров", email: "client\(references.count)@example.com", phone: String(format: "+7916123%04d", references.count)), consultantId: consultant))
                    references.append(booked.reference)
                }
            }
        }
        for reference in references {
            let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: reference))
        }
        let last: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0, limit: 1))
        #expect(last.lastSequence >= 168)

        consumer.state.withLockedValue { $0.open = true }
        for _ in 0..<1_200 where consumer.state.withLockedValue({ $0.applied }) < last.lastSequence {
            try await Task.sleep(for: .milliseconds(50))
        }
        let seen = consumer.state.withLockedValue { $0 }
        #expect(seen.applied == last.lastSequence, "every event is applied")
        #expect(seen.mostInside == 1, "one batch at a time")
        #expect(seen.largestBatch <= EventFollower.batchLimit, "\(seen.largestBatch) events in one batch")

        await group.triggerGracefulShutdown()
        try await running.value
        await bookingd.close()
        try await suite.stop()
    }
}
