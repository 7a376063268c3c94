import AvailabilityStore
import BookingProtocol
import DaemonKit
import Foundation

// availabilityd: owns the working calendar and answers slot queries from memory; follows
// bookingd's events to know which slots are taken.
await DaemonRunner.main(name: "availabilityd") { parts in
    let configuration = parts.configuration
    let store = try CalendarStore(path: configuration.databasePath("availabilityd.sqlite"))
    if try await store.seedConsultants(configuration.consultants) {
        parts.logger.notice("consultants taken from the configuration; from now on bookctl consultants manages them",
                            metadata: ["count": "\(configuration.consultants.count)"])
    }
    let view = AvailabilityView(
        policy: configuration.calendar, production: configuration.productionCalendar, consultants: try await store.consultants(),
        blocked: try await store.blockedPeriods(), timeOff: try await store.timeOff()
    )
    let bookingd = try await DaemonClient(
        daemon: "bookingd", endpoint: configuration.endpoints.bookingd, context: parts.context,
        timeout: configuration.requestTimeout, attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes
    )
    let commands = CalendarCommands(view: view, store: store, bookingd: bookingd, clock: parts.clock, control: parts.control, logger: parts.logger)
    for warning in commands.warnings(view.current.calendar) {
        parts.logger.warning("\(warning)")
    }
    let follower = try BookingFollower(
        view: view, bookingd: bookingd, eventsEndpoint: configuration.endpoints.bookingdEvents, context: parts.context,
        clock: parts.clock, logger: parts.logger
    )
    var routes = commands.routes
    parts.control.addRoutes(to: &routes)
    let backups = DaemonBackups(daemon: "availabilityd", configuration: configuration, clock: parts.clock, logger: parts.logger) { path in
        let copy = try store.backup(to: path)
        return (copy.bytes, copy.integrity)
    }
    backups.addRoute(to: &routes)
    let server = try RequestServer(
        name: "availabilityd", endpoint: configuration.endpoints.availabilityd, context: parts.context, routes: routes,
        maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control
    )
    parts.control.setAudit { command, user, outcome, correlationId in
        try await store.recordAudit(command: command, user: user, outcome: outcome, correlationId: correlationId, at: parts.clock.now())
    }
    parts.control.setStatus {
        let current = view.current
        let state = current.synced ? "serving; view at event #\(current.sequence)" : "serving; waiting for bookingd's snapshot"
        return "\(state); \(current.consultants.count) consultants; \(parts.control.requestsAnswered) requests answered"
    }
    parts.control.setReload { configuration in
        view.reconfigure(
            policy: configuration.calendar, production: configuration.productionCalendar, consultants: try await store.consultants(),
            blocked: try await store.blockedPeriods(), timeOff: try await store.timeOff()
        )
        for warning in commands.warnings(view.current.calendar) { parts.logger.warning("\(warning)") }
    }
    try await server.bind()
    let scheduled = configuration.backups.map { [backups.schedule($0, zone: configuration.calendar.timeZone)] } ?? []
    return [follower] + scheduled + [server]
}
