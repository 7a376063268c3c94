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
    /// Starts again from bookingd's present: when there is no starting state yet, when bookingd's
    /// events carry a new epoch (its database was restored, or replaced by a failover that lost
    /// data), or when its log went back below ours (an older bookingd, without epochs).
    /// `lastSequence` is bookingd's last event, if known.
    func restart(asking bookingd: DaemonClient, lastSequence: UInt64?) async throws
    /// The epoch of bookingd's log that the consumer's kept state is of, as kept with it: what
    /// tells a consumer started again after bookingd's database was replaced that its sequence
    /// numbers mean other events now. nil when it keeps no state across starts, or none yet.
    /// A failure to read it stops the catch-up until the next one.
    func keptEpoch() async throws -> String?
    /// Keeps `epoch` with the consumer's state: the first time the follower learns it, and after
    /// each restart into a new epoch (failed, the next catch-up does it again).
    func keep(epoch: String) async throws
}

extension EventConsumer {
    /// A consumer whose state lives in memory starts from a snapshot at every start: the
    /// follower's own epoch is all it needs.
    public func keptEpoch() async throws -> String? { nil }
    public func keep(epoch: String) async throws {}
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
///
/// One task applies, so the consumer sees one batch at a time: the consumer is an actor, and an
/// arrival batch and a replay applied at once (as they were) each rendered the same events while
/// the other waited. A batch holds at most `batchLimit` events, and at most `ArrivedEvents`'
/// capacity wait: a follower behind the stream keeps its lag in bookingd's log, not in its memory.
///
/// With several bookingd instances it subscribes to each one's PUB. Sequence numbers count in an
/// epoch (the database's identity): an arrival whose number it already saw is a duplicate (two
/// publishers around a handover) and is dropped; one of another epoch is dropped too, and the
/// catch-up it asks for restarts the consumer from a snapshot when bookingd confirms the new epoch.
public final class EventFollower: Service, Sendable {
    /// Events per `apply` (and per replay page): what a consumer renders and holds before its
    /// transaction commits.
    public static let batchLimit = 64
    /// Arrived events kept waiting while the consumer is busy; beyond them, replay.
    public static let waitingLimit = 1_000

    private let consumer: any EventConsumer
    private let bookingd: DaemonClient
    private let subscriber: EventSubscriber
    private let name: String
    private let replayTimeout: Duration
    private let checkEvery: Duration
    private let logger: Logger
    private let arrived = ArrivedEvents<Arrival>(capacity: EventFollower.waitingLimit)
    private let work = WakeSignal()
    /// The epoch of bookingd's log as its last replay reply named it, and the highest sequence
    /// arrived in it: what tells a duplicate or a foreign event from a new one.
    private let stream = NIOLockedValueBox<(epoch: String?, highest: UInt64)>((nil, 0))

    private struct Arrival: Sendable {
        var event: EventBody
        var epoch: String?
    }

    /// `replayTimeout` bounds each replay or snapshot request; `checkEvery` is how often a
    /// quiet stream is checked against bookingd's last sequence.
    public init(name: String, consumer: any EventConsumer, bookingd: DaemonClient, eventsEndpoints: [String], context: ZMQContext,
                replayTimeout: Duration, checkEvery: Duration = .seconds(2), logger: Logger, curve: CurveSecurity? = nil) throws {
        self.name = name
        self.consumer = consumer
        self.bookingd = bookingd
        self.replayTimeout = replayTimeout
        self.checkEvery = checkEvery
        self.logger = logger
        subscriber = try EventSubscriber(endpoints: eventsEndpoints, context: context, label: "\(name)-sub", logger: logger, curve: curve)
    }

    /// The epoch the follower holds its consumer's state in, once a replay reply named it.
    public var epoch: String? { stream.withLockedValue { $0.epoch } }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.askForCatchUps() }
            group.addTask { await self.applyInOrder() }
            try await subscriber.run { event, epoch in
                guard admit(event, epoch: epoch) else { return }
                arrived.arrive(Arrival(event: event, epoch: epoch))
                work.notify()
            }
            group.cancelAll()
            work.notify()
        }
    }

    /// Whether an arrival is new: of the epoch followed (or either unknown) and above every
    /// number seen. Another epoch asks for a catch-up, whose replay confirms it.
    private func admit(_ event: EventBody, epoch: String?) -> Bool {
        let verdict = stream.withLockedValue { stream -> Bool? in
            if let known = stream.epoch, let epoch, known != epoch { return nil }
            guard event.sequence > stream.highest else { return false }
            stream.highest = event.sequence
            return true
        }
        switch verdict {
        case true?:
            return true
        case false?:
            Counter(label: "booking_subscriber_duplicate_events", dimensions: [("subscriber", name)]).increment()
            return false
        case nil:
            logger.notice("an event of another epoch arrived; asking bookingd", metadata: ["sequence": "\(event.sequence)"])
            arrived.requestCatchUp()
            work.notify()
            return false
        }
    }

    private func askForCatchUps() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: checkEvery)
            arrived.requestCatchUp()
            work.notify()
        }
    }

    /// The one place the consumer is called: arrivals, many at once under load, and catch-ups.
    private func applyInOrder() async {
        while !Task.isCancelled {
            if arrived.takeCatchUp() { await catchUp() }
            let taken = arrived.take(upTo: Self.batchLimit)
            // Those that arrived before a restart into a new epoch belong to the old one.
            let followed = epoch
            let events = taken.filter { followed == nil || $0.epoch == nil || $0.epoch == followed }.map(\.event)
            if taken.isEmpty {
                await work.wait(upTo: .seconds(1))
            } else if !events.isEmpty, await consumer.apply(events) == .gap {
                arrived.requestCatchUp()
            }
        }
    }

    /// From bookingd's present (`reply`), in its epoch, which the consumer keeps with its state.
    private func startAgain(_ reply: ReplayReply) async throws {
        try await consumer.restart(asking: bookingd, lastSequence: reply.lastSequence)
        if let theirs = reply.epoch { try await consumer.keep(epoch: theirs) }
        follow(epoch: reply.epoch)
    }

    private func catchUp() async {
        do {
            while !Task.isCancelled {
                guard let after = await consumer.appliedThrough() else {
                    try await consumer.restart(asking: bookingd, lastSequence: nil)
                    continue
                }
                let reply: ReplayReply = try await bookingd.call(
                    MessageType.replay, ReplayRequest(after: after, limit: Self.batchLimit), timeout: replayTimeout, attempts: 1)
                Gauge(label: "booking_subscriber_lag_events", dimensions: [("subscriber", name)])
                    .record(reply.lastSequence > after ? reply.lastSequence - after : 0)
                if let theirs = reply.epoch {
                    // Before this process followed any epoch, the one kept with the consumer's
                    // state (from before a restart of this daemon) is ours.
                    let followed = epoch
                    let ours = followed == nil ? try await consumer.keptEpoch() : followed
                    if let ours, theirs != ours {
                        logger.warning("bookingd's events have a new epoch (its database was restored or replaced); starting again from its present",
                                       metadata: ["ours": "\(ours)", "theirs": "\(theirs)"])
                        try await startAgain(reply)
                        return
                    }
                    if followed == nil {
                        if ours == nil { try await consumer.keep(epoch: theirs) }
                        follow(epoch: theirs)
                    }
                }
                if reply.lastSequence < after {
                    logger.warning("bookingd's event log went back below ours; starting again from its present",
                                   metadata: ["ours": "\(after)", "theirs": "\(reply.lastSequence)"])
                    try await startAgain(reply)
                    return
                }
                guard !reply.events.isEmpty, await consumer.apply(reply.events) == .applied else { return }
                if let applied = await consumer.appliedThrough(), applied >= reply.lastSequence { return }
            }
        } catch {
            // bookingd not answering, or the consumer's store failing: the next catch-up tries again.
            logger.debug("the catch-up stopped; the next one tries again", metadata: ["error": "\(error)"])
        }
    }

    /// From now on the stream counts in `epoch`, from its start: numbers seen before are forgotten.
    private func follow(epoch: String?) {
        stream.withLockedValue { $0 = (epoch, 0) }
    }
}
