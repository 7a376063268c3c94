import BookingProtocol
import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle
import ZeroMQ

/// What a follower feeds: state kept in step with bookingd's events, applied in sequence order.
public protocol EventConsumer: Sendable {
    /// The sequence of the last event applied; nil while the consumer has no starting state.
    func appliedThrough() async -> UInt64?
    /// Applies events in sequence order from `appliedThrough() + 1`; earlier ones are skipped.
    func apply(_ events: [EventBody]) async -> EventApplication
    /// Starts again from bookingd's present: when there is no starting state yet, or when
    /// bookingd's log went back below ours (its database was restored from a backup).
    /// `lastSequence` is bookingd's last event, if known.
    func restart(asking bookingd: DaemonClient, lastSequence: UInt64?) async throws
}

public enum EventApplication: Sendable, Equatable {
    case applied
    /// An event is missing before some of those given; they were left for the replay.
    case gap
    /// Stopped early (a dependency or the database unavailable); the replay brings the rest.
    case interrupted
}

/// Follows bookingd's event stream for one consumer (zguide's Clone pattern): subscribe first,
/// then take the starting state, apply what arrives in order, and mend a jump in sequence
/// numbers, a restart, or a quiet spell (the last event may have been missed) by asking
/// bookingd to replay what lies between. Every daemon that follows events uses this one loop.
public final class EventFollower: Service, Sendable {
    private let consumer: any EventConsumer
    private let bookingd: DaemonClient
    private let subscriber: EventSubscriber
    private let name: String
    private let replayTimeout: Duration
    private let checkEvery: Duration
    private let logger: Logger
    private let arrived = NIOLockedValueBox<[EventBody]>([])
    private let arrivals = WakeSignal()
    private let catchUps = CoalescingRunner()

    /// `replayTimeout` bounds each replay or snapshot request; `checkEvery` is how often a
    /// quiet stream is checked against bookingd's last sequence.
    public init(name: String, consumer: any EventConsumer, bookingd: DaemonClient, eventsEndpoint: String, context: ZMQContext,
                replayTimeout: Duration, checkEvery: Duration = .seconds(2), logger: Logger) throws {
        self.name = name
        self.consumer = consumer
        self.bookingd = bookingd
        self.replayTimeout = replayTimeout
        self.checkEvery = checkEvery
        self.logger = logger
        subscriber = try EventSubscriber(endpoint: eventsEndpoint, context: context, label: "\(name)-sub", logger: logger)
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.keepSynced() }
            group.addTask { await self.applyArrivals() }
            try await subscriber.run { event in
                arrived.withLockedValue { $0.append(event) }
                arrivals.notify()
            }
            group.cancelAll()
            arrivals.notify()
        }
    }

    /// Applies what the subscription brought, many events at once under load.
    private func applyArrivals() async {
        while !Task.isCancelled {
            await arrivals.wait(upTo: .seconds(1))
            let events = arrived.withLockedValue { events in
                defer { events.removeAll(keepingCapacity: true) }
                return events
            }
            guard !events.isEmpty else { continue }
            if await consumer.apply(events) == .gap {
                Task { await self.catchUp() }
            }
        }
    }

    private func keepSynced() async {
        while !Task.isCancelled {
            await catchUp()
            try? await Task.sleep(for: checkEvery)
        }
    }

    private func catchUp() async {
        await catchUps.run {
            do {
                while !Task.isCancelled {
                    guard let after = await consumer.appliedThrough() else {
                        try await consumer.restart(asking: bookingd, lastSequence: nil)
                        continue
                    }
                    let reply: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: after), timeout: replayTimeout, attempts: 1)
                    Gauge(label: "booking_subscriber_lag_events", dimensions: [("subscriber", name)])
                        .record(reply.lastSequence > after ? reply.lastSequence - after : 0)
                    if reply.lastSequence < after {
                        logger.warning("bookingd's event log went back below ours; starting again from its present",
                                       metadata: ["ours": "\(after)", "theirs": "\(reply.lastSequence)"])
                        try await consumer.restart(asking: bookingd, lastSequence: reply.lastSequence)
                        return
                    }
                    guard !reply.events.isEmpty, await consumer.apply(reply.events) == .applied else { return }
                    if let applied = await consumer.appliedThrough(), applied >= reply.lastSequence { return }
                }
            } catch {
                logger.debug("cannot reach bookingd to catch up", metadata: ["error": "\(error)"])
            }
        }
    }
}
