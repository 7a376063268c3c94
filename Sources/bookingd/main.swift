import BookingProtocol
import BookingStore
import DaemonKit
import Foundation

// bookingd: the only writer of appointments. ROUTER for commands and queries (and replay),
// PUB for the events of every change.
await DaemonRunner.main(name: "bookingd") { parts in
    let configuration = parts.configuration
    let store = try SQLiteBookingStore(path: configuration.databasePath("bookingd.sqlite"))
    let publisher = try EventPublisher(endpoint: configuration.endpoints.bookingdEvents, context: parts.context, store: store, logger: parts.logger)
    let availability = try await DaemonClient(
        daemon: "availabilityd", endpoint: configuration.endpoints.availabilityd, context: parts.context,
        timeout: configuration.requestTimeout, attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes
    )
    let pause = PauseSwitch(reason: try await store.pauseReason())
    let commands = BookingCommands(
        store: store, availability: availability, publisher: publisher, clock: parts.clock,
        defaultTimeZone: configuration.calendar.timeZone.identifier, control: parts.control, pause: pause,
        maxReplyBytes: configuration.maxMessageBytes, logger: parts.logger
    )
    let backups = DaemonBackups(daemon: "bookingd", configuration: configuration, clock: parts.clock, logger: parts.logger) { path in
        let copy = try store.backup(to: path)
        return (copy.bytes, copy.integrity)
    }
    var routes = commands.routes
    backups.addRoute(to: &routes)
    let server = try RequestServer(
        name: "bookingd", endpoint: configuration.endpoints.bookingd, context: parts.context, routes: routes,
        maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control
    )
    parts.control.setAudit(auditedByDaemon: [MessageType.book, MessageType.reschedule, MessageType.cancel, MessageType.pause, MessageType.resume]) {
        command, user, outcome, correlationId in
        try await store.recordAudit(command: command, user: user, outcome: outcome, correlationId: correlationId, at: parts.clock.now())
    }
    parts.control.setStatus {
        let taking = pause.reason.map { "paused (\($0)); " } ?? "serving; "
        return "\(taking)last event #\(publisher.lastPublished) published; \(parts.control.requestsAnswered) requests answered"
    }
    if let reason = pause.reason {
        parts.logger.warning("new bookings are paused (bookctl resume takes them again)", metadata: ["reason": "\(reason)"])
    }
    try await publisher.bind()
    try await server.bind()
    let housekeeping = PeriodicService(every: .seconds(3600)) {
        let cutoff = parts.clock.now().addingTimeInterval(-24 * 3600)
        if let pruned = try? await store.pruneIdempotencyRecords(olderThan: cutoff), pruned > 0 {
            parts.logger.debug("forgot old idempotency keys", metadata: ["count": "\(pruned)"])
        }
    }
    // Shut down in reverse: the server stops taking commands first, then the publisher sends
    // what was committed.
    let scheduled = configuration.backups.map { [backups.schedule($0, zone: configuration.calendar.timeZone)] } ?? []
    return [publisher, housekeeping] + scheduled + [server]
}
