import BookingProtocol
import DaemonKit
import Foundation
import Logging
import Metrics
import NotificationStore
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// Follows bookingd's events in order, exactly once each: the last sequence applied is kept in
/// notifyd's database in the same transaction as the messages an event causes. A jump in
/// sequence numbers, a restart, or a quiet spell (the last event may have been missed) is
/// mended by asking bookingd to replay from that number.
final class EventFollower: Service, Sendable {
    private let intake: EventIntake
    private let bookingd: DaemonClient
    private let subscriber: EventSubscriber
    private let logger: Logger
    private let arrived = Mutex<[EventBody]>([])
    private let arrivals = WakeSignal()
    private let catchUps = CoalescingRunner()

    init(intake: EventIntake, bookingd: DaemonClient, eventsEndpoint: String, context: ZMQContext, logger: Logger) throws {
        self.intake = intake
        self.bookingd = bookingd
        self.logger = logger
        subscriber = try EventSubscriber(endpoint: eventsEndpoint, context: context, label: "notifyd-sub", logger: logger)
    }

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.keepSynced() }
            group.addTask { await self.applyArrivals() }
            try await subscriber.run { event in
                arrived.withLock { $0.append(event) }
                arrivals.notify()
            }
            group.cancelAll()
            arrivals.notify()
        }
    }

    /// Applies what the subscription brought, many events per transaction under load.
    private func applyArrivals() async {
        while !Task.isCancelled {
            await arrivals.wait(upTo: .seconds(1))
            let events = arrived.withLock { events in
                defer { events.removeAll(keepingCapacity: true) }
                return events
            }
            guard !events.isEmpty else { continue }
            if await intake.apply(events) == .gap {
                Task { await self.catchUp() }
            }
        }
    }

    /// Catches up on start, then every two seconds checks that nothing was missed.
    private func keepSynced() async {
        while !Task.isCancelled {
            await catchUp()
            try? await Task.sleep(for: .seconds(2))
        }
    }

    private func catchUp() async {
        await catchUps.run {
            do {
                while !Task.isCancelled {
                    let after = await intake.lastSequence
                    let reply: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: after), timeout: .seconds(5), attempts: 1)
                    Gauge(label: "booking_subscriber_lag_events", dimensions: [("subscriber", "notifyd")])
                        .record(reply.lastSequence > after ? reply.lastSequence - after : 0)
                    if reply.lastSequence < after {
                        // bookingd's log went back (its database was restored): what is past is
                        // past; follow from where it is now, and say so.
                        logger.error("bookingd's event log is behind ours; following it from its last event",
                                     metadata: ["ours": "\(after)", "theirs": "\(reply.lastSequence)"])
                        await intake.restart(at: reply.lastSequence)
                        return
                    }
                    guard !reply.events.isEmpty else { return }
                    if await intake.apply(reply.events) != .applied { return }
                    if await intake.lastSequence >= reply.lastSequence { return }
                }
            } catch {
                logger.debug("cannot reach bookingd to catch up", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// The one place events are applied, one batch at a time and in sequence order.
actor EventIntake {
    enum Outcome: Equatable {
        case applied
        /// Events after a missing one were left for the replay.
        case gap
        /// Stopped early (availabilityd or the database unavailable); the replay brings the rest.
        case interrupted
    }

    private let store: SQLiteNotificationStore
    private let composer: MessageComposer
    private let directory: ConsultantDirectory
    private let clock: SuiteClock
    private let dispatcher: WakeSignal
    private let logger: Logger
    private(set) var lastSequence: UInt64

    init(store: SQLiteNotificationStore, composer: MessageComposer, directory: ConsultantDirectory, clock: SuiteClock, dispatcher: WakeSignal, logger: Logger) async throws {
        self.store = store
        self.composer = composer
        self.directory = directory
        self.clock = clock
        self.dispatcher = dispatcher
        self.logger = logger
        lastSequence = try await store.lastSequence()
    }

    func apply(_ events: [EventBody]) async -> Outcome {
        var batch: [AppliedEvent] = []
        var expected = lastSequence + 1
        var outcome = Outcome.applied
        for event in events.sorted(by: { $0.sequence < $1.sequence }) where event.sequence >= expected {
            guard event.sequence == expected else {
                outcome = .gap
                break
            }
            do {
                let consultant = try await directory.facts(event.appointment.consultantId)
                batch.append(composer.compose(event, consultant: consultant))
                expected += 1
            } catch {
                logger.warning("cannot ask availabilityd about a consultant; will try again", metadata: ["error": "\(error)"])
                outcome = .interrupted
                break
            }
        }
        guard !batch.isEmpty else { return outcome }
        do {
            let applied = try await store.apply(batch, now: clock.now())
            lastSequence = expected - 1
            Counter(label: "notify_events_applied_total").increment(by: applied)
            Gauge(label: "notify_last_sequence").record(lastSequence)
            dispatcher.notify()
        } catch {
            logger.error("cannot record events", metadata: ["error": "\(error)"])
            return .interrupted
        }
        return outcome
    }

    /// After bookingd's database was replaced by an older copy.
    func restart(at sequence: UInt64) async {
        do {
            try await store.follow(from: sequence)
        } catch {
            logger.error("cannot record the restart point", metadata: ["error": "\(error)"])
        }
        lastSequence = sequence
    }
}
