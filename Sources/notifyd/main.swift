import BookingProtocol
import DaemonKit
import Foundation
import Notifications
import NotificationStore
import Synchronization

// notifyd: follows bookingd's events and tells the client, the consultant and @chat of every
// change, once; sends reminders. Its own database keeps what was sent.
await DaemonRunner.main(name: "notifyd") { parts in
    let configuration = parts.configuration
    let settings = try NotifySettings.load(configuration)
    let templates: TemplateLibrary
    do {
        templates = try TemplateLibrary.load(directory: settings.templatesDirectory)
    } catch let error as TemplateError {
        throw ConfigurationError(file: error.file, key: error.line.map { "line \($0)" }, problem: error.problem)
    }
    let store = try SQLiteNotificationStore(path: configuration.databasePath("notifyd.sqlite"))
    let inDoubt = try await store.recoverInFlight()
    if inDoubt > 0 {
        parts.logger.warning("deliveries were being sent when notifyd stopped; they go again with the same Message-ID", metadata: ["count": "\(inDoubt)"])
    }
    let bookingd = try await DaemonClient(
        daemon: "bookingd", endpoint: configuration.endpoints.bookingd, context: parts.context,
        timeout: configuration.requestTimeout, attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes
    )
    let availabilityd = try await DaemonClient(
        daemon: "availabilityd", endpoint: configuration.endpoints.availabilityd, context: parts.context,
        timeout: configuration.requestTimeout, attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes
    )
    let calendarZone = configuration.calendar.timeZone.identifier
    let composer = MessageComposer(settings: settings, templates: templates, calendarZone: calendarZone, logger: parts.logger)
    let directory = ConsultantDirectory(availabilityd: availabilityd, calendarZone: calendarZone)
    let wake = WakeSignal()
    let intake = try await EventIntake(store: store, composer: composer, directory: directory, clock: parts.clock, dispatcher: wake, logger: parts.logger)
    let follower = try EventFollower(intake: intake, bookingd: bookingd, eventsEndpoint: configuration.endpoints.bookingdEvents, context: parts.context, logger: parts.logger)
    let transports = try await Transports(settings: settings, context: parts.context, clock: parts.clock)
    let dispatcher = Dispatcher(store: store, transports: transports, settings: settings, clock: parts.clock, wake: wake, logger: parts.logger)
    let reminders = ReminderScheduler(store: store, composer: composer, directory: directory, bookingd: bookingd, clock: parts.clock, dispatcher: wake, logger: parts.logger)

    let commands = NotifyCommands(store: store, intake: intake, clock: parts.clock, dispatcher: wake, control: parts.control, logger: parts.logger)
    var routes = commands.routes
    let backups = DaemonBackups(daemon: "notifyd", configuration: configuration, clock: parts.clock, logger: parts.logger) { path in
        let copy = try store.backup(to: path)
        return (copy.bytes, copy.integrity)
    }
    backups.addRoute(to: &routes)
    let server = try RequestServer(
        name: "notifyd", endpoint: configuration.endpoints.notifyd, context: parts.context, routes: routes,
        maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control
    )
    parts.control.setAudit { command, user, outcome, correlationId in
        try await store.recordAudit(command: command, user: user, outcome: outcome, correlationId: correlationId, at: parts.clock.now())
    }
    let deliveryCounts = Mutex<[DeliveryState: Int]>([:])
    parts.control.setStatus {
        let counts = deliveryCounts.withLock { $0 }
        return "following events; \(counts[.pending] ?? 0) pending, \(counts[.sent] ?? 0) sent, \(counts[.failed] ?? 0) dead letters"
    }
    parts.control.setReload { configuration in
        // Templates are taken at once; transports and addresses need a restart, and say so.
        let reloaded = try NotifySettings.load(configuration)
        do {
            composer.replaceTemplates(try TemplateLibrary.load(directory: reloaded.templatesDirectory))
        } catch let error as TemplateError {
            throw ConfigurationError(file: error.file, key: error.line.map { "line \($0)" }, problem: error.problem)
        }
        parts.logger.notice("templates reloaded; changes to transports, sender and reminders take effect at the next start")
    }
    try await server.bind()
    let scheduler = PeriodicService(every: .seconds(1), runFirst: true) {
        await reminders.tick()
        // The status line is read synchronously; the store is read asynchronously, so here.
        if let counts = try? await store.counts() { deliveryCounts.withLock { $0 = counts } }
    }
    let scheduled = configuration.backups.map { [backups.schedule($0, zone: configuration.calendar.timeZone)] } ?? []
    return [follower, dispatcher, scheduler] + scheduled + [server]
}
