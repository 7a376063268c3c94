import BookingProtocol
import DaemonKit
import Foundation
import Logging
import Metrics
import Synchronization
import ServiceLifecycle
import ZeroMQ

/// Keeps the view of taken slots in step with bookingd (zguide's Clone pattern): subscribe
/// first, then take a snapshot with its sequence number, then apply only the events after it;
/// a jump in sequence numbers, or a quiet period (the last event may have been missed), is
/// mended by asking bookingd to replay what lies between.
final class BookingFollower: Service, Sendable {
    private let view: AvailabilityView
    private let bookingd: DaemonClient
    private let subscriber: EventSubscriber
    private let clock: SuiteClock
    private let logger: Logger
    private let catchUps = CoalescingRunner()

    init(view: AvailabilityView, bookingd: DaemonClient, eventsEndpoint: String, context: ZMQContext, clock: SuiteClock, logger: Logger) throws {
        self.view = view
        self.bookingd = bookingd
        self.clock = clock
        self.logger = logger
        subscriber = try EventSubscriber(endpoint: eventsEndpoint, context: context, label: "availabilityd-sub", logger: logger)
    }

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.keepSynced() }
            try await subscriber.run { event in
                if view.apply(event) == .gap {
                    group.addTask { await self.catchUp() }
                }
            }
            group.cancelAll()
        }
    }

    /// Takes the first snapshot (retrying while bookingd is away), then checks every two
    /// seconds that nothing was missed.
    private func keepSynced() async {
        while !Task.isCancelled {
            await catchUp()
            try? await Task.sleep(for: .seconds(2))
        }
    }

    private func catchUp() async {
        await catchUps.run {
            do {
                if !view.current.synced {
                    try await takeSnapshot()
                }
                var after = view.current.sequence
                while true {
                    let reply: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: after), timeout: .seconds(2), attempts: 1)
                    if reply.lastSequence < after {
                        // bookingd's log is behind ours: its database was replaced. Start over.
                        logger.warning("bookingd's event log went back; taking a new snapshot", metadata: ["ours": "\(after)", "theirs": "\(reply.lastSequence)"])
                        try await takeSnapshot()
                        return
                    }
                    for event in reply.events {
                        _ = view.apply(event)
                    }
                    after = view.current.sequence
                    Gauge(label: "booking_view_sequence").record(after)
                    Gauge(label: "booking_subscriber_lag_events", dimensions: [("subscriber", "availabilityd")])
                        .record(reply.lastSequence > after ? reply.lastSequence - after : 0)
                    if reply.events.isEmpty || after >= reply.lastSequence { return }
                }
            } catch {
                logger.debug("cannot reach bookingd to catch up", metadata: ["error": "\(error)"])
            }
        }
    }

    private func takeSnapshot() async throws {
        let now = clock.now()
        let snapshot: SnapshotReply = try await bookingd.call(
            MessageType.snapshot, SnapshotRequest(from: now.addingTimeInterval(-86_400), to: now.addingTimeInterval(400 * 86_400)),
            timeout: .seconds(5), attempts: 1
        )
        view.reset(booked: snapshot.booked, sequence: snapshot.sequence)
        logger.info("took bookingd's snapshot", metadata: ["sequence": "\(snapshot.sequence)", "booked": "\(snapshot.booked.count)"])
    }
}
