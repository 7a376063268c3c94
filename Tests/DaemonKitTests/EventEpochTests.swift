import BookingProtocol
import BookingService
import CivilTime
import DaemonKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SuiteTesting
import Testing
import ZeroMQ

/// bookingd's database restored under a running follower: its sequence numbers start over in a
/// new epoch, and the follower starts again from a snapshot instead of trusting them.
@Suite(.serialized) struct EventEpochTests {
    /// Starts from bookingd's snapshot, and records each start and the epochs it saw.
    /// `keepsEpoch`: its state is kept across starts of its daemon (notifyd's, calsyncd's), with
    /// the epoch it is of.
    final class SnapshotConsumer: EventConsumer {
        let state = NIOLockedValueBox((applied: UInt64?.none, restarts: 0, snapshotEpochs: [String?](), events: 0, kept: String?.none))
        let keepsEpoch: Bool

        init(keepsEpoch: Bool = false) {
            self.keepsEpoch = keepsEpoch
        }

        func keptEpoch() async throws -> String? { keepsEpoch ? state.withLockedValue { $0.kept } : nil }

        func keep(epoch: String) async throws {
            if keepsEpoch { state.withLockedValue { $0.kept = epoch } }
        }

        func appliedThrough() async -> UInt64? { state.withLockedValue { $0.applied } }

        func apply(_ events: [EventBody]) async -> EventApplication {
            state.withLockedValue { state in
                guard var applied = state.applied else { return .gap }
                for event in events.sorted(by: { $0.sequence < $1.sequence }) where event.sequence > applied {
                    guard event.sequence == applied + 1 else { return .gap }
                    applied = event.sequence
                    state.events += 1
                }
                state.applied = applied
                return .applied
            }
        }

        func restart(asking bookingd: DaemonClient, lastSequence: UInt64?) async throws {
            let snapshot: SnapshotReply = try await bookingd.call(MessageType.snapshot, SnapshotRequest())
            state.withLockedValue { state in
                state.applied = snapshot.sequence
                state.restarts += 1
                state.snapshotEpochs.append(snapshot.epoch)
            }
        }
    }

    func book(_ client: DaemonClient, _ count: Int, from first: Int) async throws {
        for n in first..<(first + count) {
            let start = ISO8601.parseInstant(String(format: "2026-12-02T%02d:00:00+03:00", 10 + n / 2))!
            let _: AppointmentBody = try await client.call(MessageType.book, BookRequest(
                start: start, contact: ContactBody(name: "Иван Петров", email: "client\(n)@example.com", phone: String(format: "+7916123%04d", n)),
                consultantId: n % 2 == 0 ? "anna" : "boris"))
        }
    }

    func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<400 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
    }

    func follower(_ consumer: SnapshotConsumer, bookingd: DaemonClient, configuration: SuiteConfiguration, context: ZMQContext) throws -> EventFollower {
        try EventFollower(name: "epoch-follower", consumer: consumer, bookingd: bookingd,
                          eventsEndpoints: configuration.endpoints.bookingdEvents, context: context,
                          replayTimeout: .seconds(5), checkEvery: .milliseconds(200), logger: Logger(label: "epoch-follower"))
    }

    /// A follower that was not running when bookingd's database was restored, and whose
    /// consumer kept its state (as notifyd keeps its last sequence): started again after the
    /// restored log has passed that sequence, it tells the new epoch by the one kept, and starts
    /// from the snapshot instead of taking the new numbers for those it missed.
    @Test func aConsumerStartedAfterARestoreTellsTheNewEpochByTheOneItKept() async throws {
        let suite = try await InProcessSuite.start()
        let context = try ZMQContext()
        let configuration = suite.configuration
        let bookingd = try await DaemonClient(daemon: "bookingd", endpoints: configuration.endpoints.bookingd, context: context,
                                              timeout: .seconds(5), attempts: 3)
        let consumer = SnapshotConsumer(keepsEpoch: true)
        let first = try follower(consumer, bookingd: bookingd, configuration: configuration, context: context)
        let group = ServiceGroup(configuration: .init(services: [.init(service: first)], logger: Logger(label: "epoch-follower")))
        let running = Task { try await group.run() }
        try await book(bookingd, 2, from: 0)
        try await waitUntil { consumer.state.withLockedValue { $0.applied } == 2 && consumer.state.withLockedValue { $0.kept } != nil }
        let firstEpoch = try #require(consumer.state.withLockedValue { $0.kept })
        #expect(firstEpoch == first.epoch, "the epoch followed is kept the first time it is learnt")
        await group.triggerGracefulShutdown()
        try await running.value

        // Restored while the consumer's daemon was stopped; the new log passes its sequence.
        try await suite.stop(keepingDirectory: true)
        try BookingDaemon.renewEpoch(of: configuration.databasePath("bookingd.sqlite"))
        var again = InProcessSuite.Options()
        again.directory = suite.directory
        let restored = try await InProcessSuite.start(again)
        try await book(bookingd, 3, from: 2)

        let second = try follower(consumer, bookingd: bookingd, configuration: configuration, context: context)
        let secondGroup = ServiceGroup(configuration: .init(services: [.init(service: second)], logger: Logger(label: "epoch-follower")))
        let secondRunning = Task { try await secondGroup.run() }
        try await waitUntil { consumer.state.withLockedValue { $0.restarts } == 2 && second.epoch != nil }
        let seen = consumer.state.withLockedValue { $0 }
        #expect(seen.restarts == 2, "started again from the restored database's snapshot")
        #expect(seen.kept == second.epoch && seen.kept != firstEpoch, "the new epoch is kept")
        #expect(seen.applied == 5, "from the snapshot: the two restored events and the three new")

        await secondGroup.triggerGracefulShutdown()
        try await secondRunning.value
        await bookingd.close()
        await context.shutdown()
        try await restored.stop()
    }

    @Test func aRestoredDatabaseIsFollowedFromItsSnapshot() async throws {
        let suite = try await InProcessSuite.start()
        // The follower outlives the suite's stop, as notifyd outlives a restore of bookingd.
        let context = try ZMQContext()
        let configuration = suite.configuration
        let bookingd = try await DaemonClient(daemon: "bookingd", endpoints: configuration.endpoints.bookingd, context: context,
                                              timeout: .seconds(5), attempts: 3)
        let consumer = SnapshotConsumer()
        let follower = try EventFollower(name: "epoch-follower", consumer: consumer, bookingd: bookingd,
                                         eventsEndpoints: configuration.endpoints.bookingdEvents, context: context,
                                         replayTimeout: .seconds(5), checkEvery: .milliseconds(200), logger: Logger(label: "epoch-follower"))
        let group = ServiceGroup(configuration: .init(services: [.init(service: follower)], logger: Logger(label: "epoch-follower")))
        let running = Task { try await group.run() }

        try await book(bookingd, 4, from: 0)
        try await waitUntil { consumer.state.withLockedValue { $0.applied } == 4 }
        let firstEpoch = try #require(follower.epoch)
        #expect(consumer.state.withLockedValue { $0.restarts } == 1)
        #expect(consumer.state.withLockedValue { $0.snapshotEpochs } == [firstEpoch], "the snapshot names the epoch the events carry")

        // Restored: the same four events' numbers, in a database with a new epoch, and one
        // more change: without the epoch, nothing would tell the follower.
        try await suite.stop(keepingDirectory: true)
        try BookingDaemon.renewEpoch(of: configuration.databasePath("bookingd.sqlite"))
        var again = InProcessSuite.Options()
        again.directory = suite.directory
        let restored = try await InProcessSuite.start(again)
        try await book(bookingd, 1, from: 4)

        try await waitUntil { consumer.state.withLockedValue { $0.restarts == 2 && $0.applied == 5 } && follower.epoch != firstEpoch }
        let seen = consumer.state.withLockedValue { $0 }
        #expect(seen.restarts == 2, "started again from the restored database's snapshot")
        let secondEpoch = try #require(follower.epoch)
        #expect(secondEpoch != firstEpoch)
        #expect(seen.snapshotEpochs == [firstEpoch, secondEpoch])
        #expect(seen.applied == 5)

        await group.triggerGracefulShutdown()
        try await running.value
        await bookingd.close()
        await context.shutdown()
        try await restored.stop()
    }
}
