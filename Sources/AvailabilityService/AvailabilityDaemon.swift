import AvailabilityStore
import BookingProtocol
import DaemonKit
import Foundation
import ServiceLifecycle
import SuiteCalendar

/// availabilityd: owns the working calendar and answers slot queries from memory; follows
/// bookingd's events to know which slots are taken.
public enum AvailabilityDaemon {
    public static let name = "availabilityd"

    /// What `bookctl config check` says of availabilityd's part of a file: the same loading as at start.
    public static func checkConfiguration(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> String {
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
        let store = try CalendarStore(path: configuration.databasePath("availabilityd.sqlite"))
        if try await store.seedConsultants(seed) {
            parts.logger.notice("consultants taken from the configuration; from now on bookctl consultants manages them",
                                metadata: ["count": "\(seed.count)"])
        }
        let view = AvailabilityView(
            policy: calendar.policy, production: calendar.productionCalendar, consultants: try await store.consultants(),
            blocked: try await store.blockedPeriods(), timeOff: try await store.timeOff(), busy: try await store.busy(now: parts.clock.now())
        )
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
        let backups = DaemonBackups(daemon: name, configuration: configuration, clock: parts.clock, logger: parts.logger) { path in
            let copy = try store.backup(to: path)
            return (copy.bytes, copy.integrity)
        }
        backups.addRoute(to: &routes)
        let server = try RequestServer(
            name: name, endpoint: configuration.endpoints.availabilityd, context: parts.context, routes: routes,
            maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control,
            errors: AvailabilityErrors.wire,
            patience: configuration.requestPatience,
            access: try PeerAccess(configuration),
            curve: try parts.curve(binding: configuration.endpoints.availabilityd)
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
            view.reconfigure(
                policy: calendar.policy, production: calendar.productionCalendar, consultants: try await store.consultants(),
                blocked: try await store.blockedPeriods(), timeOff: try await store.timeOff(), busy: try await store.busy(now: parts.clock.now())
            )
            for warning in commands.warnings(view.current.calendar) { parts.logger.warning("\(warning)") }
        }
        try await server.bind()
        let scheduled = configuration.backups.map { [backups.schedule($0, zone: calendar.timeZone)] } ?? []
        for line in defaultsApplied(configuration) { parts.logger.notice("\(line)") }
        return [follower] + scheduled + [server]
    }
}
