import BookingProtocol
import CivilTime
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals
import ZeroMQ

/// What a daemon tells its operator and how it takes a new configuration. The daemon fills in
/// `status` and `onReload` while it is built; SIGHUP, `bookctl reload` and the systemd notifier
/// all go through here, so a reload is the same whichever way it is asked for.
public final class DaemonControl: Sendable {
    public let name: String
    public let configurationPath: String
    public let startedAt = Date()
    private let state: NIOLockedValueBox<State>
    private let logger: Logger

    struct State {
        var status: @Sendable () -> String = { "ready" }
        var onReload: @Sendable (SuiteConfiguration) async throws -> Void = { _ in }
        var lastError: (message: String, at: Date)?
        var allowStall = false
        var requestsAnswered = 0
        var audit: Audit?
        var stall: (@Sendable (Duration) async throws -> Void)?
        var security: SocketSecurity?
    }

    /// Writes one audit row: command, OS user, outcome (`ok` or an error code), correlation id.
    public typealias AuditRecord = @Sendable (_ command: String, _ user: String, _ outcome: String, _ correlationId: String) async throws -> Void

    struct Audit {
        /// Commands the daemon already audits inside their own transaction (when they succeed).
        var auditedByDaemon: Set<String>
        var record: AuditRecord
    }

    public init(name: String, configurationPath: String, logger: Logger) {
        self.name = name
        self.configurationPath = configurationPath
        self.logger = logger
        state = NIOLockedValueBox(State())
    }

    /// One line for systemd's `STATUS=` and `bookctl status`.
    public func setStatus(_ status: @escaping @Sendable () -> String) {
        state.withLockedValue { $0.status = status }
    }

    /// Applies a configuration read again from the same file.
    public func setReload(_ reload: @escaping @Sendable (SuiteConfiguration) async throws -> Void) {
        state.withLockedValue { $0.onReload = reload }
    }

    /// The daemon's CURVE keys: a reload changes which client keys its servers admit.
    func setSecurity(_ security: SocketSecurity) {
        state.withLockedValue { $0.security = security }
    }

    public var status: String { state.withLockedValue { $0.status }() }

    func countRequest() {
        state.withLockedValue { $0.requestsAnswered += 1 }
    }

    public var requestsAnswered: Int { state.withLockedValue { $0.requestsAnswered } }

    /// The common part of a `ping` reply; the daemon adds what only it knows.
    public func pingReply(state daemonState: String, lastSequence: UInt64?, backlog: UInt64? = nil, warnings: [String] = []) -> PingReply {
        let (error, count) = state.withLockedValue { ($0.lastError, $0.requestsAnswered) }
        return PingReply(
            daemon: name, version: SuiteVersion.current, pid: getpid(), startedAt: startedAt, lastSequence: lastSequence, warnings: warnings,
            state: daemonState, status: status, backlog: backlog, requestsAnswered: count, lastError: error?.message, lastErrorAt: error?.at
        )
    }

    /// Where admin commands are recorded. Every command that is not a query and carries the
    /// sender's OS user (bookctl fills it in) gets a row, and every refused (`forbidden`) request.
    public func setAudit(auditedByDaemon: Set<String> = [], _ record: @escaping AuditRecord) {
        state.withLockedValue { $0.audit = Audit(auditedByDaemon: auditedByDaemon, record: record) }
    }

    func audit(type: String, header: MessageHeader, outcome: String) async {
        guard let user = header.user, outcome == ErrorCode.forbidden.rawValue || !MessageType.queries.contains(type),
              let audit = state.withLockedValue({ $0.audit }) else { return }
        if outcome == "ok" && audit.auditedByDaemon.contains(type) { return }
        do {
            try await audit.record(type, user, outcome, header.id)
        } catch {
            logger.error("cannot write the audit trail", metadata: ["command": "\(type)", "user": "\(user)", "error": "\(error)"])
            record(error: "audit trail: \(error)")
        }
    }

    /// Remembers a failure for `bookctl status`.
    public func record(error message: String) {
        state.withLockedValue { $0.lastError = (message, Date()) }
    }

    /// Reads the file again and applies it; a bad file changes nothing and says why.
    @discardableResult
    public func reload() async throws(ConfigurationError) -> SuiteConfiguration {
        let configuration: SuiteConfiguration
        do {
            configuration = try SuiteConfiguration.load(path: configurationPath)
        } catch {
            record(error: "reload refused: \(error)")
            logger.error("reload refused, the running configuration stays", metadata: ["problem": "\(error)"])
            throw error
        }
        SuiteLogging.setLevel(configuration.logLevel)
        do {
            try await state.withLockedValue { $0.onReload }(configuration)
            state.withLockedValue { $0.security }?.reload(configuration)
        } catch {
            let problem = ConfigurationError(file: configurationPath, problem: "could not be applied: \(error)")
            record(error: "\(problem)")
            throw problem
        }
        logger.notice("configuration reloaded", metadata: ["config": "\(configurationPath)"])
        return configuration
    }

    /// The control messages every daemon answers: `reload`, `metrics`, and (only when the
    /// configuration allows it, for tests) `debug_stall`, which blocks the request socket's I/O
    /// loop on purpose so the watchdog can be seen to notice.
    public func addRoutes(to routes: inout RequestRoutes) {
        routes.on(MessageType.reload, Empty.self) { _, header in
            self.logger.notice("reload asked", metadata: ["user": "\(header.user ?? "-")"])
            do {
                try await self.reload()
            } catch {
                throw ProtocolError(.validationFailed, "\(error)", field: "config")
            }
            return ReloadReply(daemon: self.name, status: self.status)
        }
        routes.on(MessageType.metrics, Empty.self) { _, _ in
            MetricsReply(daemon: self.name, exposition: SuiteMetrics.exposition)
        }
        routes.on(MessageType.debugStall, StallRequest.self) { request, _ in
            guard let stall = self.state.withLockedValue({ $0.allowStall ? $0.stall : nil }) else {
                throw ProtocolError(.unknownType, "\(self.name) does not allow debug_stall (debug.allow_stall in the configuration)")
            }
            // Wedge the request socket's I/O loop, as a bug would: its heartbeat stops.
            try await stall(.seconds(fractional: min(max(request.seconds, 0), 30)))
            return Empty()
        }
    }

    /// Lets go of what the daemon handed over (status, reload, audit, stall) once it has
    /// stopped: those closures hold the daemon's parts, whose routes hold this control, and the
    /// cycle would keep a stopped daemon's stores and sockets alive in a process that goes on
    /// (the in-process test suites).
    public func stopped() {
        state.withLockedValue { state in
            state.status = { "stopped" }
            state.onReload = { _ in }
            state.audit = nil
            state.stall = nil
        }
    }

    func setStall(_ stall: @escaping @Sendable (Duration) async throws -> Void) {
        state.withLockedValue { $0.stall = stall }
    }

    func allowStall(_ allowed: Bool) {
        state.withLockedValue { $0.allowStall = allowed }
    }
}

/// Tells systemd what the daemon is doing: READY=1 once every socket is bound (this service is
/// started last), STATUS= every few seconds, WATCHDOG=1 at half of `WATCHDOG_USEC` while every
/// ZeroMQ I/O loop beats and this task gets to run, STOPPING=1 on shutdown. SIGHUP reloads.
struct LifecycleService: Service {
    let control: DaemonControl
    let notifier: SystemdNotifier
    let context: ZMQContext
    let logger: Logger

    func run() async throws {
        notifier.ready(status: control.status)
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await _ in signals {
                    notifier.reloading()
                    _ = try? await control.reload()
                    notifier.ready(status: control.status)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    notifier.status(control.status)
                }
            }
            if let interval = notifier.watchdogInterval {
                group.addTask {
                    while !Task.isCancelled {
                        // An I/O loop beats at least every 500 ms; one silent for three times
                        // that is stuck, and a restart is what systemd should do.
                        if let beat = context.oldestHeartbeat, ContinuousClock.now - beat > .milliseconds(1500) {
                            logger.critical("a ZeroMQ I/O loop is stuck; not telling systemd the watchdog is fine")
                        } else {
                            notifier.watchdog()
                        }
                        try? await Task.sleep(for: interval)
                    }
                }
            }
            try? await gracefulShutdown()
            notifier.stopping()
            group.cancelAll()
        }
    }
}
