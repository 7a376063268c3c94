import AvailabilityStore
import BookingProtocol
import DaemonKit
import Foundation
import Logging
import PostgresStorage
import ServiceLifecycle
import SuiteCalendar

/// availabilityd: owns the working calendar and answers slot queries from memory; follows
/// bookingd's events to know which slots are taken. On PostgreSQL several replicas share one
/// store, each serving: they hold nothing that is not in it or in bookingd's events, and see
/// each other's changes through the store's change version (`ReplicaChanges`).
public enum AvailabilityDaemon {
    public static let name = "availabilityd"

    /// What `bookctl config check` says of availabilityd's part of a file: the same loading as at start.
    public static func checkConfiguration(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> String {
        try checkReplicas(configuration)
        let calendar = try CalendarSettings.load(configuration)
        let consultants = try ConsultantSeed.load(configuration, businessZone: calendar.timeZone)
        let meeting = try SuiteMeeting.load(configuration).map { "meetings by \($0.kind.rawValue)" } ?? "no suite meeting format"
        let years = calendar.productionCalendar.years.keys.sorted().map(String.init).joined(separator: ", ")
        return "\(consultants.count) consultants; \(meeting); business hours \(calendar.policy.opens)–\(calendar.policy.closes) \(calendar.timeZone.identifier); production calendar \(years)"
    }

    /// The defaults availabilityd applies for optional sections the file leaves out (logged at start).
    public static func defaultsApplied(_ configuration: SuiteConfiguration) -> [String] {
        [configuration.defaultApplied("meeting", "no suite meeting format: only consultants with a `meeting:` of their own have one")]
            .compactMap { $0 }
    }

    public static func services(_ parts: DaemonRunner.Parts) async throws -> [any Service] {
        let configuration = parts.configuration
        let calendar = try CalendarSettings.load(configuration)
        let seed = try ConsultantSeed.load(configuration, businessZone: calendar.timeZone)
        let instance = try configuration.instance(of: name)
        let opened = try await openStore(configuration, logger: parts.logger)
        let store = opened.store
        if try await store.seedConsultants(seed) {
            parts.logger.notice("consultants taken from the configuration; from now on bookctl consultants manages them",
                                metadata: ["count": "\(seed.count)"])
        }
        let view = AvailabilityView(policy: calendar.policy, production: calendar.productionCalendar, served: try await store.served(now: parts.clock.now()))
        let bookingd = try await parts.client(for: "bookingd", at: configuration.endpoints.bookingd)
        let suiteMeeting = Reloadable(try SuiteMeeting.load(configuration))
        let commands = CalendarCommands(view: view, suiteMeeting: suiteMeeting, store: store, bookingd: bookingd, clock: parts.clock, control: parts.control, logger: parts.logger)
        for warning in commands.warnings(view.current.calendar) {
            parts.logger.warning("\(warning)")
        }
        let follower = try EventFollower(
            name: name, consumer: TakenSlotsFollowing(view: view, clock: parts.clock, snapshotTimeout: configuration.requestTimeout, logger: parts.logger),
            bookingd: bookingd, eventsEndpoints: configuration.endpoints.bookingdEvents, context: parts.context,
            replayTimeout: configuration.requestTimeout, logger: parts.logger, curve: try parts.eventsCurve
        )
        var routes = commands.routes
        parts.control.addRoutes(to: &routes)
        let backups = DaemonBackups(daemon: name, configuration: configuration, clock: parts.clock, logger: parts.logger, copy: opened.copy)
        backups.addRoute(to: &routes)
        let server = try RequestServer(
            name: name, endpoint: instance.requests, context: parts.context, routes: routes,
            maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control,
            errors: AvailabilityErrors.wire,
            patience: configuration.requestPatience,
            access: try PeerAccess(configuration),
            curve: try parts.curve(binding: instance.requests)
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
            let calendar = try CalendarSettings.load(configuration)
            suiteMeeting.replace(with: try SuiteMeeting.load(configuration))
            view.reconfigure(policy: calendar.policy, production: calendar.productionCalendar, served: try await store.served(now: parts.clock.now()))
            for warning in commands.warnings(view.current.calendar) { parts.logger.warning("\(warning)") }
        }
        try await server.bind()
        let scheduled = backups.daily(configuration, zone: calendar.timeZone, storeInPostgres: configuration.storage != .sqlite)
        let replicas = opened.replicaCheck.map { interval in
            [ReplicaChanges(store: store, view: view, reload: { try await commands.refresh() }).service(every: interval, logger: parts.logger)]
        } ?? []
        for line in defaultsApplied(configuration) { parts.logger.notice("\(line)") }
        return [follower] + replicas + scheduled + [server]
    }

    /// The store `storage:` names, how a backup copies it, and how often a replica looks for the
    /// others' changes (nil: it has none).
    struct OpenedStore {
        var store: any CalendarStore
        var copy: DaemonBackups.Copy
        var replicaCheck: Duration?
    }

    /// One file has one writer, and a replica on a file of its own would never see another's changes.
    static func checkReplicas(_ configuration: SuiteConfiguration) throws(ConfigurationError) {
        guard configuration.storage == .sqlite, configuration.endpoints.availabilityd.count > 1 else { return }
        throw ConfigurationError(file: configuration.file, key: "endpoints.availabilityd",
                                 problem: "several availabilityd replicas need `storage: postgresql`; on SQLite one replica owns the file")
    }

    static func openStore(_ configuration: SuiteConfiguration, logger: Logger) async throws -> OpenedStore {
        switch configuration.storage {
        case .sqlite:
            try checkReplicas(configuration)
            let store = try SQLiteCalendarStore(path: configuration.databasePath("availabilityd.sqlite"))
            return OpenedStore(store: store, copy: { path in
                let copy = try store.backup(to: path)
                return (copy.bytes, copy.integrity)
            }, replicaCheck: nil)
        case let .postgresql(connection):
            let settings = try connection.settings(configuration) { url, passwordFile in
                try PostgresSettings(url: url, passwordFile: passwordFile).schema(name)
            }
            logger.info("store: PostgreSQL", metadata: ["database": "\(settings)", "schema": "\(name)", "connections": "\(connection.connections)"])
            let store = try await PostgresCalendarStore(settings: settings, connections: connection.connections, logger: logger)
            return OpenedStore(store: store, copy: { _ in throw BackupNotOnPostgres(daemon: name) }, replicaCheck: connection.replicaCheck)
        }
    }
}
