import BookingProtocol
import CalendarSyncStore
import DaemonKit
import Delivery
import Foundation
import ServiceLifecycle

/// calsyncd: owns the connections to consultants' own calendars. It reads each one every
/// `calendars.sync_interval_seconds` and hands its busy time to availabilityd, which keeps it by
/// source; when a calendar cannot be read, the busy time last handed over stays in force. It
/// follows bookingd's events and writes each booking into its consultant's calendar.
public enum CalendarSyncDaemon {
    public static let name = "calsyncd"

    public static func checkConfiguration(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> String {
        let settings = try CalendarSyncSettings.load(configuration)
        return "calendars read every \(Int(settings.interval.seconds)) s, stale after \(Int(settings.staleAfter.seconds)) s"
    }

    public static func services(_ parts: DaemonRunner.Parts) async throws -> [any Service] {
        let configuration = Reloadable(parts.configuration)
        let settings = Reloadable(try CalendarSyncSettings.load(parts.configuration))
        let store = try CalendarSyncStore(path: parts.configuration.databasePath("calsyncd.sqlite"))
        let availabilityd = try await parts.client(for: "availabilityd", at: parts.configuration.endpoints.availabilityd)
        let transport = HTTPTransport(connections: 4)
        let bookingd = try await parts.client(for: "bookingd", at: parts.configuration.endpoints.bookingd)
        let notifyd = try await parts.client(for: "notifyd", at: parts.configuration.endpoints.notifyd)
        let access = CalendarAccess(transport: transport, configuration: configuration, settings: settings)
        let writerWake = WakeSignal()
        let noticeWake = WakeSignal()
        let engine = CalendarSyncEngine(store: store, availabilityd: availabilityd, access: access, bookingd: bookingd, writerWake: writerWake,
                                        noticeWake: noticeWake, settings: settings, clock: parts.clock, logger: parts.logger)
        let following = try await BookingFollowing(store: store, wake: writerWake, logger: parts.logger)
        let follower = try EventFollower(
            name: name, consumer: following, bookingd: bookingd, eventsEndpoints: parts.configuration.endpoints.bookingdEvents, context: parts.context,
            replayTimeout: parts.configuration.requestTimeout, logger: parts.logger, curve: try parts.eventsCurve)
        let commands = CalendarCommands(store: store, engine: engine, availabilityd: availabilityd, settings: settings, configuration: configuration,
                                        clock: parts.clock, control: parts.control, logger: parts.logger)
        var routes = commands.routes
        parts.control.addRoutes(to: &routes)
        let backups = DaemonBackups(daemon: name, configuration: parts.configuration, clock: parts.clock, logger: parts.logger) { path in
            let copy = try store.backup(to: path)
            return (copy.bytes, copy.integrity)
        }
        backups.addRoute(to: &routes)
        let server = try RequestServer(
            name: name, endpoint: parts.configuration.endpoints.calsyncd, context: parts.context, routes: routes,
            maxMessageBytes: parts.configuration.maxMessageBytes, logger: parts.logger, control: parts.control,
            patience: parts.configuration.requestPatience, access: try PeerAccess(parts.configuration),
            curve: try parts.curve(binding: parts.configuration.endpoints.calsyncd)
        )
        parts.control.setAudit { command, user, outcome, correlationId in
            try await store.recordAudit(command: command, user: user, outcome: outcome, correlationId: correlationId, at: parts.clock.now())
        }
        parts.control.setStatus {
            "serving; \(engine.summary.value); \(parts.control.requestsAnswered) requests answered"
        }
        parts.control.setReload { reloaded in
            settings.replace(with: try CalendarSyncSettings.load(reloaded))
            configuration.replace(with: reloaded)
        }
        try await server.bind()
        let interval = settings.value.interval
        let notices = ConflictNotices(store: store, notifyd: notifyd, logger: parts.logger)
        return [server, follower, WakingLoop(wake: writerWake) { await engine.writeRound(store: store) },
                WakingLoop(wake: noticeWake) {
                    await notices.tellUntold()
                    return .seconds(60)
                },
                PeriodicService(every: interval, runFirst: true) { await engine.sync() },
                PeriodicService(every: .seconds(3_600)) { _ = try? await store.pruneCopies(endedBefore: parts.clock.now().addingTimeInterval(-7 * 86_400)) }]
    }
}
