import BookingProtocol
import CMalloc
import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

/// What every daemon's `main` does: read `--config`, load it (a bad file stops the daemon with
/// one line naming the file, key and problem, exit 78 = EX_CONFIG), set up logging, build the
/// daemon's services, run them until SIGTERM or SIGINT, and shut ZeroMQ down without hanging.
public enum DaemonRunner {
    public struct Parts: Sendable {
        public var configuration: SuiteConfiguration
        public var context: ZMQContext
        public var logger: Logger
        public var clock: SuiteClock
        /// Status line, reload and control routes: see `DaemonControl`.
        public var control: DaemonControl
        /// CURVE for the daemon's tcp:// sockets, with its own key pair.
        public var security: SocketSecurity

        public init(configuration: SuiteConfiguration, context: ZMQContext, logger: Logger, clock: SuiteClock, control: DaemonControl) {
            self.configuration = configuration
            self.context = context
            self.logger = logger
            self.clock = clock
            self.control = control
            security = SocketSecurity(.daemon(control.name), configuration: configuration)
            control.setSecurity(security)
        }

        /// A Lazy Pirate client of another daemon, with the suite's timeout, attempts and size limit.
        public func client(for daemon: String, at endpoint: String) async throws -> DaemonClient {
            try await client(for: daemon, at: [endpoint])
        }

        /// A client of every instance of `daemon` (bookingd's list), failing over between them.
        public func client(for daemon: String, at endpoints: [String]) async throws -> DaemonClient {
            try await DaemonClient(daemon: daemon, endpoints: endpoints, context: context, timeout: configuration.requestTimeout,
                                   attempts: configuration.requestAttempts, maxMessageBytes: configuration.maxMessageBytes,
                                   curve: try security.client(of: daemon, at: endpoints))
        }

        /// CURVE for the socket this daemon binds at `endpoint` (nil on ipc://).
        public func curve(binding endpoint: String) throws(ConfigurationError) -> CurveSecurity? {
            try security.server(binding: endpoint)
        }

        /// CURVE for following bookingd's events (nil on ipc://).
        public var eventsCurve: CurveSecurity? {
            get throws(ConfigurationError) { try security.client(of: "bookingd", at: configuration.endpoints.bookingdEvents) }
        }
    }

    /// `arguments` are the daemon's own, without the program's name: the multi-call `booking`
    /// program passes what follows `booking bookingd`.
    public static func main(
        name: String,
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        build: @Sendable (Parts) async throws -> [any Service]
    ) async -> Never {
        limitMallocArenas()
        var configPath: String?
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--config", "-c":
                guard index + 1 < arguments.count else { usage(name, "--config needs a path") }
                configPath = arguments[index + 1]
                index += 2
            case "--version":
                print("\(name) \(SuiteVersion.current)")
                exit(0)
            case "--help", "-h":
                print("usage: \(name) [--config PATH]\n  PATH defaults to $BOOKING_CONFIG, ./config/booking.yaml or /etc/booking/booking.yaml")
                exit(0)
            default:
                usage(name, "unknown argument '\(arguments[index])'")
            }
        }

        let configuration: SuiteConfiguration
        do {
            configuration = try SuiteConfiguration.load(path: configPath)
            try configuration.makeDirectories()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("\(name): configuration error: \(error)\n".utf8))
            exit(78)
        } catch {
            FileHandle.standardError.write(Data("\(name): cannot prepare directories: \(error)\n".utf8))
            exit(73)
        }

        SuiteLogging.bootstrap(level: configuration.logLevel)
        SuiteMetrics.bootstrap()
        let logger = Logger(label: name)
        do {
            let context = try ZMQContext()
            let control = DaemonControl(name: name, configurationPath: configuration.file, logger: logger)
            control.allowStall(configuration.allowStall)
            let parts = Parts(configuration: configuration, context: context, logger: logger, clock: SuiteClock(configuration: configuration), control: control)
            // Every socket is bound by the time `build` returns; the lifecycle service, started
            // last and stopped first, then tells systemd READY=1 and, on SIGTERM, STOPPING=1.
            let exporter: [any Service] = try configuration.metrics[name].map { [try MetricsExporter(address: $0, logger: logger)] } ?? []
            let services = try await build(parts) + exporter + [
                LifecycleService(control: control, notifier: SystemdNotifier(), context: context, logger: logger),
            ]
            let group = ServiceGroup(
                configuration: .init(
                    services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger
                )
            )
            // After the daemon has read all of its file: a file it refuses is one line, not these.
            for line in configuration.defaultsApplied(by: name) { logger.notice("\(line)") }
            logger.info("started", metadata: ["pid": "\(getpid())", "version": "\(SuiteVersion.current)", "config": "\(configuration.file)"])
            try await group.run()
            control.stopped()
            await context.shutdown()
            logger.info("stopped")
            exit(0)
        } catch let error as ConfigurationError {
            logger.critical("configuration error: \(error)")
            exit(78)
        } catch {
            logger.critical("stopped on error: \(error)")
            exit(1)
        }
    }

    /// glibc gives each thread that meets a busy arena one of its own, up to 8 per core, and
    /// returns little of an arena's freed memory: a daemon's threads (Swift's pool, libzmq's,
    /// SQLite's and libcurl's) each keep a fragmented heap, and bookingd's resident size rose all
    /// through the soak while its live heap did not (docs/reliability.md). Two arenas keep that
    /// flat; these daemons wait on I/O, not on malloc's lock. `MALLOC_ARENA_MAX` still wins.
    static func limitMallocArenas() {
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil { _ = mallopt(M_ARENA_MAX, 2) }
    }

    private static func usage(_ name: String, _ problem: String) -> Never {
        FileHandle.standardError.write(Data("\(name): \(problem)\nusage: \(name) [--config PATH]\n".utf8))
        exit(2)
    }
}

/// A service that runs a closure until graceful shutdown (periodic housekeeping and the like).
public struct PeriodicService: Service {
    let interval: Duration
    let runFirst: Bool
    let work: @Sendable () async -> Void

    public init(every interval: Duration, runFirst: Bool = false, _ work: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.runFirst = runFirst
        self.work = work
    }

    public func run() async throws {
        if runFirst { await work() }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let interval = self.interval
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await work()
        }
    }
}
