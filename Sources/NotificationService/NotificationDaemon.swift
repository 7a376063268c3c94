import BookingProtocol
import DaemonKit
import FieldEncryption
import Foundation
import Logging
import NIOConcurrencyHelpers
import Notifications
import NotificationStore
import PostgresStorage
import ServiceLifecycle
import SuiteCalendar

/// notifyd: follows bookingd's events and tells the client, the consultant and @chat of every
/// change, once; sends reminders. Its own database keeps what was sent.
public enum NotificationDaemon {
    public static let name = "notifyd"

    /// What `bookctl config check` says of notifyd's part of a file: the same loading as at start.
    public static func checkConfiguration(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> String {
        let settings = try NotifySettings.load(configuration)
        _ = try loadTemplates(settings.templatesDirectory)
        let crm = settings.crm.map { "; leads to \($0.provider)" } ?? ""
        return "notifications from \(settings.sender.address); templates in \(settings.templatesDirectory)\(crm)"
    }

    public static func services(_ parts: DaemonRunner.Parts) async throws -> [any Service] {
        let configuration = parts.configuration
        let settings = try NotifySettings.load(configuration)
        let templates = try loadTemplates(settings.templatesDirectory)
        let databasePath = configuration.databasePath("notifyd.sqlite")
        // Checked against the database before it is opened: a wrong or missing key stops notifyd
        // in one line (MasterKeyError) with no file touched.
        let keySource = MasterKeySource(daemon: name, databasePath: databasePath)
        let (masterKey, keyOrigin) = try keySource.load(logger: parts.logger)
        let (store, copy) = try await openStore(configuration, databasePath: databasePath, masterKey: masterKey, lease: settings.claimLease,
                                                logger: parts.logger)
        let inDoubt = try await store.releaseOwnClaims()
        if inDoubt > 0 {
            parts.logger.warning("deliveries were being sent when notifyd stopped; they go again with the same Message-ID", metadata: ["count": "\(inDoubt)"])
        }
        let bookingd = try await parts.client(for: "bookingd", at: configuration.endpoints.bookingd)
        let availabilityd = try await parts.client(for: "availabilityd", at: configuration.endpoints.availabilityd)
        let businessZone = try CalendarSettings.businessZone(configuration)
        let composer = MessageComposer(settings: settings, templates: templates, calendarZone: businessZone.identifier, logger: parts.logger)
        let directory = ConsultantDirectory(availabilityd: availabilityd, calendarZone: businessZone.identifier)
        let wake = WakeSignal()
        let contacts = ClientContacts(bookingd: bookingd)
        let intake = try await EventIntake(store: store, composer: composer, directory: directory, contacts: contacts, clock: parts.clock,
                                           dispatcher: wake, logger: parts.logger)
        let follower = try EventFollower(
            name: name, consumer: intake, bookingd: bookingd, eventsEndpoints: configuration.endpoints.bookingdEvents, context: parts.context,
            replayTimeout: configuration.requestTimeout, logger: parts.logger, curve: try parts.eventsCurve
        )
        let transports = try await Transports(settings: settings, context: parts.context, clock: parts.clock, store: store,
                                              calendarZone: businessZone.identifier)
        let dispatcher = Dispatcher(store: store, transports: transports, settings: settings, clock: parts.clock, wake: wake, logger: parts.logger)
        let reminders = ReminderScheduler(store: store, composer: composer, directory: directory, contacts: contacts, bookingd: bookingd, clock: parts.clock,
                                          dispatcher: wake, logger: parts.logger,
                                          failures: FailureStreak("queueing reminders", logger: parts.logger))

        let dataRequests = DataRequestMail(store: store, composer: composer, directory: directory, bookingd: bookingd, clock: parts.clock,
                                           dispatcher: wake, logger: parts.logger)
        let conflicts = CalendarConflictNotices(store: store, composer: composer, directory: directory, clock: parts.clock, dispatcher: wake,
                                                logger: parts.logger)
        let commands = NotifyCommands(store: store, transports: transports, intake: intake, clock: parts.clock, dispatcher: wake, control: parts.control,
                                      dataRequests: dataRequests, conflicts: conflicts, logger: parts.logger)
        var routes = commands.routes
        let backups = DaemonBackups(daemon: name, configuration: configuration, clock: parts.clock, logger: parts.logger, copy: copy)
        backups.addRoute(to: &routes)
        keySource.commands(origin: keyOrigin, state: { try await store.masterKeyState() }, step: { try await store.rotateMasterKey(to: $0, limit: $1) },
                           finish: { try await store.finishMasterKeyRotation(to: $0) }, logger: parts.logger).addRoutes(to: &routes)
        let server = try RequestServer(
            name: name, endpoint: configuration.endpoints.notifyd, context: parts.context, routes: routes,
            maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control,
            patience: configuration.requestPatience,
            access: try PeerAccess(configuration),
            curve: try parts.curve(binding: configuration.endpoints.notifyd)
        )
        parts.control.setAudit { command, user, outcome, correlationId in
            try await store.recordAudit(command: command, user: user, outcome: outcome, correlationId: correlationId, at: parts.clock.now())
        }
        let deliveryCounts = NIOLockedValueBox<[DeliveryState: Int]>([:])
        parts.control.setStatus {
            let counts = deliveryCounts.withLockedValue { $0 }
            return "following events; \(counts[.pending] ?? 0) pending, \(counts[.sent] ?? 0) sent, \(counts[.failed] ?? 0) dead letters"
        }
        parts.control.setReload { configuration in
            // Templates are taken at once; transports and addresses need a restart, and say so.
            let reloaded = try NotifySettings.load(configuration)
            composer.replaceTemplates(try loadTemplates(reloaded.templatesDirectory))
            parts.logger.notice("templates reloaded; changes to transports, sender and reminders take effect at the next start")
        }
        try await server.bind()
        let scheduler = PeriodicService(every: .seconds(1), runFirst: true) {
            await reminders.tick()
            // The status line is read synchronously and the store asynchronously: counted here.
            if let counts = try? await store.counts() { deliveryCounts.withLockedValue { $0 = counts } }
        }
        let scheduled = backups.daily(configuration, zone: businessZone, storeInPostgres: configuration.storage != .sqlite)
        return [follower, dispatcher, scheduler] + scheduled + [server]
    }

    /// Templates are part of the configuration: an error in one is a configuration error, with
    /// the template's file and line.
    static func loadTemplates(_ directory: String) throws(ConfigurationError) -> TemplateLibrary {
        do {
            return try TemplateLibrary.load(directory: directory)
        } catch {
            throw ConfigurationError(file: error.file, key: error.line.map { "line \($0)" }, problem: error.problem)
        }
    }
}

extension NotificationDaemon {
    /// The store the configuration names, and how it is backed up. On PostgreSQL several
    /// instances share the deliveries, each claiming under its own name.
    static func openStore(_ configuration: SuiteConfiguration, databasePath: String, masterKey: MasterKey, lease: Duration,
                          logger: Logger) async throws -> (any NotificationStore, DaemonBackups.Copy) {
        switch configuration.storage {
        case .sqlite:
            let store = try SQLiteNotificationStore(path: databasePath, masterKey: masterKey,
                                                    claimant: Claimant(instance: Claimant.solo.instance, lease: lease))
            return (store, { path in
                let copy = try store.backup(to: path)
                return (copy.bytes, copy.integrity)
            })
        case let .postgresql(connection):
            let settings = try connection.settings(configuration) { url, passwordFile in
                try PostgresSettings(url: url, passwordFile: passwordFile).schema(name)
            }
            let instance = SuiteConfiguration.instanceName()
            logger.info("store: PostgreSQL", metadata: ["database": "\(settings)", "schema": "\(name)", "instance": "\(instance)"])
            let store = try await PostgresNotificationStore(settings: settings, masterKey: masterKey, claimant: Claimant(instance: instance, lease: lease),
                                                            connections: connection.connections)
            return (store, { _ in throw BackupNotOnPostgres(daemon: name) })
        }
    }
}
