import AvailabilityService
import BookingService
import CalendarSync
import DaemonKit
import Foundation
import Logging
import NotificationService
import NIOConcurrencyHelpers
import ServiceLifecycle
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The suite's daemons run in the test's own process: each daemon's services (built by its
/// library exactly as its `main` builds them) in a service group of its own, over real ipc
/// sockets and real SQLite files in a temporary directory. What only separate processes show
/// (signals, kill -9, systemd notify) stays for the end-to-end tests.
public final class InProcessSuite: Sendable {
    public enum Daemon: String, Sendable, CaseIterable {
        case bookingd, availabilityd, notifyd, calsyncd

        fileprivate var build: @Sendable (DaemonRunner.Parts) async throws -> [any Service] {
            switch self {
            case .bookingd: BookingDaemon.services
            case .availabilityd: AvailabilityDaemon.services
            case .notifyd: NotificationDaemon.services
            case .calsyncd: CalendarSyncDaemon.services
            }
        }
    }

    public struct Options: Sendable {
        public var daemons: [Daemon] = [.availabilityd, .bookingd]
        public var consultants = ["anna", "boris"]
        /// The suite's clock starts here: a Tuesday morning in Moscow, two weeks of working days ahead.
        public var clockStart = "2026-12-01T07:58:00+03:00"
        public var minimumNoticeMinutes = 120
        /// More top-level YAML (e.g. a `bookings:` section).
        public var extra = ""
        /// The directory of an earlier suite stopped with `keepingDirectory`: its databases and
        /// its configuration file (so its clock) are taken as they are, as a restart would.
        public var directory: String?

        public init() {}
    }

    public let directory: String
    public let configuration: SuiteConfiguration
    public let context: ZMQContext
    private let groups: [(Daemon, ServiceGroup, DaemonControl)]
    private let running: Task<Void, any Error>
    /// Whether this suite still holds its place in `SuiteAdmission`.
    private let admitted = NIOLockedValueBox(true)

    /// The directory of notifyd's development mail (every message as a file).
    public var mailDirectory: String { directory + "/mail" }

    public static func start(_ options: Options = Options()) async throws -> InProcessSuite {
        await SuiteAdmission.shared.enter()
        do {
            return try await startAdmitted(options)
        } catch {
            await SuiteAdmission.shared.leave()
            throw error
        }
    }

    private static func startAdmitted(_ options: Options) async throws -> InProcessSuite {
        let directory: String
        if let earlier = options.directory {
            directory = earlier
        } else {
            var template = Array("/tmp/ip-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
            directory = String(cString: made)
        }
        let file = directory + "/booking.yaml"
        if options.directory == nil {
            let yaml = SuiteFiles.configuration(consultants: options.consultants, clockStart: options.clockStart,
                                                minimumNoticeMinutes: options.minimumNoticeMinutes, logLevel: "warning",
                                                notifications: SuiteFiles.developmentNotifications,
                                                // The page is not among the daemons run here; its section is required all the same.
                                                extra: options.extra.contains("web:") ? options.extra : options.extra + "\nweb: {}\n")
            try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        }
        let configuration = try SuiteConfiguration.load(path: file)
        try configuration.makeDirectories()
        let context = try ZMQContext()
        var groups: [(Daemon, ServiceGroup, DaemonControl)] = []
        // Built in the given order: each binds its sockets before the next one starts.
        for daemon in options.daemons {
            let logger = Logger(label: daemon.rawValue)
            let control = DaemonControl(name: daemon.rawValue, configurationPath: file, logger: logger)
            let parts = DaemonRunner.Parts(configuration: configuration, context: context, logger: logger,
                                           clock: SuiteClock(configuration: configuration), control: control)
            let services = try await daemon.build(parts)
            groups.append((daemon, ServiceGroup(configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }, logger: logger
            )), control))
        }
        let running = Task { [groups] in
            try await withThrowingDiscardingTaskGroup { tasks in
                for (_, group, _) in groups { tasks.addTask { try await group.run() } }
            }
        }
        return InProcessSuite(directory: directory, configuration: configuration, context: context, groups: groups, running: running)
    }

    private init(directory: String, configuration: SuiteConfiguration, context: ZMQContext, groups: [(Daemon, ServiceGroup, DaemonControl)],
                 running: Task<Void, any Error>) {
        self.directory = directory
        self.configuration = configuration
        self.context = context
        self.groups = groups
        self.running = running
    }

    /// A Lazy Pirate client of one daemon, as bookctl and webd have.
    public func client(_ daemon: Daemon, timeout: Duration = TestTimeouts.scaled(.seconds(3)), attempts: Int = 1) async throws -> DaemonClient {
        let endpoints = configuration.endpoints.requests(of: daemon.rawValue)!
        return try await DaemonClient(daemon: daemon.rawValue, endpoints: endpoints, context: context, timeout: timeout,
                                      attempts: attempts, maxMessageBytes: configuration.maxMessageBytes)
    }

    /// Shuts every daemon down gracefully, the last started first (as systemd stops them), and
    /// removes the directory unless it is kept for a restart (`Options.directory`).
    public func stop(keepingDirectory: Bool = false) async throws {
        for (_, group, _) in groups.reversed() {
            await group.triggerGracefulShutdown()
        }
        let stopped = await running.result
        for (_, _, control) in groups { control.stopped() }
        await context.shutdown()
        if !keepingDirectory { try? FileManager.default.removeItem(atPath: directory) }
        if givesUpAdmission() { await SuiteAdmission.shared.leave() }
        try stopped.get()
    }

    /// The suite stopped and started again on the same files, its clock's start moved from
    /// `previous` to `start` (`clock.start` in its booking.yaml): the daemons come back as they
    /// would after a restart at that later time.
    public func restarted(clockFrom previous: String, to start: String) async throws -> InProcessSuite {
        try await stop(keepingDirectory: true)
        let file = directory + "/booking.yaml"
        let yaml = try String(contentsOfFile: file, encoding: .utf8)
        try yaml.replacingOccurrences(of: previous, with: start).write(toFile: file, atomically: true, encoding: .utf8)
        var options = Options()
        options.directory = directory
        return try await Self.start(options)
    }

    /// True the first time only: the suite's place is given back once, by `stop` or by `deinit`.
    private func givesUpAdmission() -> Bool {
        admitted.withLockedValue { held in
            defer { held = false }
            return held
        }
    }

    deinit {
        // A test that threw before stopping its suite must not keep the others waiting for good.
        if givesUpAdmission() { Task { await SuiteAdmission.shared.leave() } }
    }
}
