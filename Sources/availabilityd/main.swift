import BookingProtocol
import DaemonKit
import Foundation

// availabilityd: owns the working calendar and answers slot queries from memory; follows
// bookingd's events to know which slots are taken.
await DaemonRunner.main(name: "availabilityd") { parts in
    let configuration = parts.configuration
    let store = try CalendarStore(path: configuration.databasePath("availabilityd.sqlite"))
    let view = AvailabilityView(
        policy: configuration.calendar, production: configuration.productionCalendar, consultants: configuration.consultants,
        blocked: try store.blockedPeriods(), timeOff: try store.timeOff()
    )
    let bookingd = try await DaemonClient(
        daemon: "bookingd", endpoint: configuration.endpoints.bookingd, context: parts.context,
        timeout: configuration.requestTimeout, attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes
    )
    let commands = CalendarCommands(view: view, store: store, bookingd: bookingd, clock: parts.clock, logger: parts.logger)
    for warning in commands.warnings(view.current.calendar) {
        parts.logger.warning("\(warning)")
    }
    let follower = try BookingFollower(
        view: view, bookingd: bookingd, eventsEndpoint: configuration.endpoints.bookingdEvents, context: parts.context,
        clock: parts.clock, logger: parts.logger
    )
    let server = try RequestServer(
        name: "availabilityd", endpoint: configuration.endpoints.availabilityd, context: parts.context, routes: commands.routes,
        maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger
    )
    try await server.bind()
    return [follower, server]
}
