import BookingProtocol
import BookingStore
import DaemonKit
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import ServiceLifecycle
import ZeroMQ

/// Drains the outbox to the PUB socket in sequence order, while this instance holds the
/// `PublisherElection`. Woken after each commit; also looks every `pollEvery`, so events
/// committed before a crash, or by another instance on a shared database, are sent. What has
/// been sent is remembered lazily: after a crash or a handover some events go out twice, which
/// subscribers absorb (they dedupe by sequence), and none is skipped. Every event's header names
/// the store's epoch.
final class EventPublisher: Service, Sendable {
    private let socket: ZMQSocket
    private let endpoint: String
    private let store: any BookingStore
    private let logger: Logger
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>
    private let published = NIOLockedValueBox<UInt64>(0)
    private let reading: FailureStreak
    private let election: any PublisherElection
    private let pollEvery: Duration

    /// `pollEvery`: how often the outbox is read without a wake-up: a second when this instance
    /// makes every commit; tens of milliseconds when others commit to the same database.
    init(endpoint: String, context: ZMQContext, store: any BookingStore, logger: Logger, curve: CurveSecurity? = nil,
         election: any PublisherElection = SoleWriterElection(), pollEvery: Duration = .seconds(1)) throws {
        self.endpoint = endpoint
        self.store = store
        self.election = election
        self.pollEvery = pollEvery
        self.logger = logger
        reading = FailureStreak("reading the outbox", logger: logger)
        var options = SocketOptions()
        options.linger = .milliseconds(1000)
        options.sendHighWaterMark = 100_000
        // The daemons that follow events run as users of the booking group (notifyd its own).
        options.ipcFilePermissions = 0o660
        // On tcp only the subscribers whose keys bookingd admits get the stream.
        options.curve = curve
        socket = try context.socket(.pub, options: options, label: "bookingd-pub")
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func bind() async throws {
        try SocketFiles.prepare(endpoint)
        try await socket.bind(endpoint)
    }

    /// Something was committed: publish it now.
    func committed() {
        wake.yield()
    }

    var lastPublished: UInt64 { published.withLockedValue { $0 } }

    func run() async throws {
        var persisted: UInt64?
        var epoch = ""
        var gauged = ContinuousClock.now - .seconds(1)
        var remembered = ContinuousClock.now - .seconds(1)
        let ticker = Task { [pollEvery] in
            while !Task.isCancelled {
                try? await Task.sleep(for: pollEvery)
                wake.yield()
            }
        }
        defer { ticker.cancel() }
        for await _ in wakes.cancelOnGracefulShutdown() {
            guard await election.holds() else {
                if persisted != nil { logger.notice("no longer the publishing instance") }
                persisted = nil
                continue
            }
            if persisted == nil {
                // Won (or started): from what the last publisher recorded, in the store's epoch.
                do {
                    let start = try await store.publishedThrough()
                    epoch = try await store.epoch()
                    published.withLockedValue { $0 = start }
                    persisted = start
                    reading.succeeded()
                } catch {
                    reading.failed(error)
                    continue
                }
            }
            await drain(epoch: epoch)
            let now = lastPublished
            Gauge(label: "booking_events_published_sequence").record(now)
            // The backlog needs a read of its own: once a second is enough for a gauge, and
            // keeps that read off the path of every commit.
            if ContinuousClock.now - gauged >= .seconds(1), let committed = try? await store.lastSequence() {
                Gauge(label: "booking_outbox_backlog").record(committed > now ? committed - now : 0)
                gauged = .now
            }
            // Remembered once a second at most: each is a commit of its own (on PostgreSQL, a
            // round trip to the standby too), and after a crash subscribers absorb the repeats.
            if now != persisted, ContinuousClock.now - remembered >= .seconds(1) {
                try? await store.setPublishedThrough(now)
                persisted = now
                remembered = .now
            }
        }
        // Shutting down: what was committed before the request server stopped goes out now.
        if persisted != nil, await election.holds() {
            await drain(epoch: epoch)
            try? await store.setPublishedThrough(lastPublished)
        }
        await election.resign()
        await socket.close()
        SocketFiles.remove(endpoint)
    }

    private func drain(epoch: String) async {
        while true {
            let after = lastPublished
            let batch: [OutboxEvent]
            do {
                batch = try await store.outbox(after: after, limit: 500)
                reading.succeeded()
            } catch {
                // The ticker wakes the loop again within a second.
                reading.failed(error)
                return
            }
            if batch.isEmpty { return }
            for event in batch {
                do {
                    try await socket.send(event.frames(epoch: epoch))
                    published.withLockedValue { $0 = event.sequence }
                } catch {
                    logger.error("cannot publish", metadata: ["sequence": "\(event.sequence)", "error": "\(error)"])
                    return
                }
            }
        }
    }
}
