import BookingProtocol
import DaemonKit
import Foundation
import Logging
import Metrics

/// The view's taken slots as a consumer of bookingd's events: its starting state is bookingd's
/// snapshot of booked slots with the sequence it is consistent with.
struct TakenSlotsFollowing: EventConsumer {
    let view: AvailabilityView
    let clock: SuiteClock
    let snapshotTimeout: Duration
    let logger: Logger

    func appliedThrough() async -> UInt64? {
        let current = view.current
        return current.synced ? current.sequence : nil
    }

    func apply(_ events: [EventBody]) async -> EventApplication {
        for event in events.sorted(by: { $0.sequence < $1.sequence }) {
            if view.apply(event) == .gap { return .gap }
        }
        Gauge(label: "booking_view_sequence").record(view.current.sequence)
        return .applied
    }

    func restart(asking bookingd: DaemonClient, lastSequence: UInt64?) async throws {
        let now = clock.now()
        let snapshot: SnapshotReply = try await bookingd.call(
            MessageType.snapshot, SnapshotRequest(from: now.addingTimeInterval(-86_400), to: now.addingTimeInterval(400 * 86_400)),
            timeout: snapshotTimeout, attempts: 1
        )
        view.reset(booked: snapshot.booked, sequence: snapshot.sequence)
        logger.info("took bookingd's snapshot", metadata: ["sequence": "\(snapshot.sequence)", "booked": "\(snapshot.booked.count)"])
    }
}
