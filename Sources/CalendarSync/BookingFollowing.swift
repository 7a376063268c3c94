import BookingProtocol
import CalendarSyncStore
import DaemonKit
import Foundation
import Logging
import Metrics

/// calsyncd's follower of bookingd's events: each booking's latest state is kept in
/// calsyncd.sqlite with the last sequence applied, in one transaction, and the writer is woken.
/// No network is touched here, so an event is kept even while every calendar is down, and a
/// kill -9 between keeping and writing loses nothing: the copy stays pending.
actor BookingFollowing: EventConsumer {
    private let store: CalendarSyncStore
    private let wake: WakeSignal
    private let logger: Logger
    private let recording: FailureStreak
    private var lastSequence: UInt64

    init(store: CalendarSyncStore, wake: WakeSignal, logger: Logger) async throws {
        self.store = store
        self.wake = wake
        self.logger = logger
        recording = FailureStreak("keeping bookings to write into calendars", logger: logger)
        lastSequence = try await store.lastSequence()
    }

    func appliedThrough() async -> UInt64? { lastSequence }

    func keptEpoch() async throws -> String? { try await store.followedEpoch() }

    func keep(epoch: String) async throws { try await store.keep(epoch: epoch) }

    func apply(_ events: [EventBody]) async -> EventApplication {
        var expected = lastSequence + 1
        var changes: [String: BookingChange] = [:]
        var outcome = EventApplication.applied
        for event in events.sorted(by: { $0.sequence < $1.sequence }) where event.sequence >= expected {
            guard event.sequence == expected else {
                outcome = .gap
                break
            }
            let appointment = event.appointment
            guard let json = try? WireJSON.encode(appointment) else {
                // Kept up to the event before; the catch-up brings this one again.
                outcome = .interrupted
                break
            }
            // Only the last state of each booking in a batch is written.
            changes[appointment.id] = BookingChange(appointmentId: appointment.id, consultantId: appointment.consultantId,
                                                    appointment: String(decoding: json, as: UTF8.self), end: appointment.end)
            expected += 1
        }
        guard expected > lastSequence + 1 else { return outcome }
        do {
            try await store.record(Array(changes.values), through: expected - 1)
            lastSequence = expected - 1
            Gauge(label: "booking_calendar_last_sequence").record(lastSequence)
            recording.succeeded()
            wake.notify()
        } catch {
            recording.failed(error)
            return .interrupted
        }
        return outcome
    }

    /// bookingd's log went back below ours (restored from a backup): follow from its present.
    func restart(asking bookingd: DaemonClient, lastSequence theirs: UInt64?) async throws {
        let sequence = theirs ?? 0
        logger.error("following bookingd's event log from its last event", metadata: ["sequence": "\(sequence)"])
        try await store.follow(from: sequence)
        lastSequence = sequence
    }
}
