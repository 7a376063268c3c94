import BookingProtocol
import BookingStore
import Crypto
import DaemonKit
import FieldEncryption
import Foundation
import Logging
import PostgresStorage
import ServiceLifecycle

/// bookingd: the only writer of appointments. ROUTER for commands and queries (and replay),
/// PUB for the events of every change.
public enum BookingDaemon {
    public static let name = "bookingd"

    /// What `bookctl config check` says of bookingd's part of a file: the same loading as at start.
    public static func checkConfiguration(_ configuration: SuiteConfiguration) throws(ConfigurationError) -> String {
        let settings = try BookingSettings.load(configuration)
        let privacy = try PrivacySettings.load(configuration)
        return "at most \(settings.maxFutureBookingsPerContact) future bookings per contact; clients' default zone \(settings.defaultTimeZone); "
            + "confirmation \(settings.confirmation.rawValue)\(settings.confirmation == .off ? "" : " (holds of \(Int(settings.holdDuration / 60)) min)")"
            + "; personal data erased \(privacy.retention.days) days after an appointment"
    }

    /// The defaults bookingd applies for optional sections the file leaves out (logged at start).
    public static func defaultsApplied(_ configuration: SuiteConfiguration) -> [String] {
        [configuration.defaultApplied("bookings", "at most \(BookingSettings.defaultMaxFutureBookingsPerContact) future bookings per contact"),
         PrivacySettings.defaultApplied(configuration)].compactMap { $0 }
    }

    /// For `bookctl restore`: the erasures on request recorded in `replaced` (the database about
    /// to be replaced) applied to `restored` (the copy that replaces it); how many.
    public static func reapplyErasures(from replaced: String, onto restored: String) throws -> Int {
        try ErasureLedger.reapply(from: replaced, onto: restored)
    }

    /// For `bookctl restore`: the copy about to go live gets a new epoch, so that followers
    /// start again from a snapshot instead of trusting its sequence numbers.
    public static func renewEpoch(of restored: String) throws {
        try SQLiteBookingStore.renewEpoch(at: restored)
    }

    /// Opens the store, binds both sockets and returns the services to run, in start order:
    /// a group stops them in reverse, so the request server stops taking commands first and the
    /// publisher then sends what was committed.
    public static func services(_ parts: DaemonRunner.Parts) async throws -> [any Service] {
        let configuration = parts.configuration
        let instance = try configuration.bookingdInstance()
        let settings = Reloadable(try BookingSettings.load(configuration))
        let privacy = Reloadable(try PrivacySettings.load(configuration))
        let databasePath = configuration.databasePath("bookingd.sqlite")
        // Before the store opens the file: a wrong or missing key stops the daemon in one line,
        // and no file has been touched.
        let keySource = MasterKeySource(daemon: name, databasePath: databasePath)
        let (masterKey, keyOrigin) = try keySource.load(logger: parts.logger)
        let opened = try await openStore(configuration, databasePath: databasePath, masterKey: masterKey, logger: parts.logger)
        let store = opened.store
        let publisher = try EventPublisher(endpoint: instance.events, context: parts.context, store: store, logger: parts.logger,
                                           curve: try parts.curve(binding: instance.events), election: opened.election, pollEvery: opened.pollEvery)
        let availability = try await parts.client(for: "availabilityd", at: configuration.endpoints.availabilityd)
        let pause = PauseSwitch(reason: try await store.pauseReason())
        let holds = HoldSwitch(logger: parts.logger)
        let signer = ConfirmationSigner(key: SymmetricKey(data: try await store.confirmationKey()))
        let commands = BookingCommands(
            store: store, availability: availability, publisher: publisher, clock: parts.clock, settings: settings,
            control: parts.control, pause: pause, holds: holds, signer: signer, guesses: ConfirmationGuesses(),
            maxReplyBytes: configuration.maxMessageBytes, logger: parts.logger
        )
        let backups = DaemonBackups(daemon: name, configuration: configuration, clock: parts.clock, logger: parts.logger, copy: opened.copy)
        var routes = commands.routes
        backups.addRoute(to: &routes)
        keySource.commands(origin: keyOrigin, state: { try await store.masterKeyState() }, step: { try await store.rotateMasterKey(to: $0, limit: $1) },
                           finish: { try await store.finishMasterKeyRotation(to: $0) }, logger: parts.logger).addRoutes(to: &routes)
        let server = try RequestServer(
            name: name, endpoint: instance.requests, context: parts.context, routes: routes,
            maxMessageBytes: configuration.maxMessageBytes, logger: parts.logger, control: parts.control,
            errors: { BookingErrors.wire($0, zone: settings.value.businessZone) },
            patience: configuration.requestPatience,
            access: try PeerAccess(configuration),
            curve: try parts.curve(binding: instance.requests)
        )
        parts.control.setAudit(auditedByDaemon: [MessageType.book, MessageType.reschedule, MessageType.cancel, MessageType.pause, MessageType.resume,
                                                   MessageType.erase]) {
            command, user, outcome, correlationId in
            try await store.recordAudit(command: command, user: user, outcome: outcome, correlationId: correlationId, at: parts.clock.now())
        }
        parts.control.setStatus {
            let taking = pause.reason.map { "paused (\($0)); " } ?? "serving; "
            return "\(taking)last event #\(publisher.lastPublished) published; \(holds.describe(settings.value)); \(parts.control.requestsAnswered) requests answered"
        }
        parts.control.setReload { configuration in
            settings.replace(with: try BookingSettings.load(configuration))
            privacy.replace(with: try PrivacySettings.load(configuration))
        }
        if let reason = pause.reason {
            parts.logger.warning("new bookings are paused (bookctl resume takes them again)", metadata: ["reason": "\(reason)"])
        }
        try await publisher.bind()
        try await server.bind()
        let housekeeping = PeriodicService(every: .seconds(3600)) {
            let cutoff = parts.clock.now().addingTimeInterval(-24 * 3600)
            if let pruned = try? await store.pruneIdempotencyRecords(olderThan: cutoff), pruned > 0 {
                parts.logger.debug("forgot old idempotency keys", metadata: ["count": "\(pruned)"])
            }
        }
        let releaser = HoldReleaser(store: store, publisher: publisher, clock: parts.clock, holdSwitch: holds, settings: settings, logger: parts.logger)
        // Every second on the suite's clock, first at start: holds that ended while bookingd was down go at once.
        let releases = PeriodicService(every: .seconds(1), runFirst: true) { await releaser.tick() }
        let sweeper = RetentionSweeper(store: store, publisher: publisher, clock: parts.clock, settings: privacy, logger: parts.logger)
        // Hourly, and at start: what fell due while bookingd was down (or in a restored copy) goes at once.
        let retention = PeriodicService(every: .seconds(3600), runFirst: true) { await sweeper.tick() }
        let gauges = ReportGaugePublisher(store: store, clock: parts.clock, settings: settings, logger: parts.logger)
        // The last 30 days' rates for Prometheus: they move slowly, and a report reads every
        // booking of the period, so every 5 minutes is enough.
        let reportGauges = PeriodicService(every: .seconds(300), runFirst: true) { await gauges.tick() }
        let scheduled = backups.daily(configuration, zone: settings.value.businessZone, storeInPostgres: configuration.storage != .sqlite)
        for line in defaultsApplied(configuration) { parts.logger.notice("\(line)") }
        return [publisher, housekeeping, releases, retention, reportGauges] + scheduled + [server]
    }

    /// The store `storage:` names, how a backup copies it, and how its publisher is chosen. On
    /// PostgreSQL each daemon's tables live in a schema named after it; the URL is checked here,
    /// naming its key.
    struct OpenedStore {
        var store: any BookingStore
        var copy: DaemonBackups.Copy
        var election: any PublisherElection
        /// How often the publisher reads the outbox unprompted: on a shared database another
        /// instance's commits wake nothing here, so they are picked up at this pace.
        var pollEvery: Duration
    }

    static func openStore(_ configuration: SuiteConfiguration, databasePath: String, masterKey: MasterKey,
                          logger: Logger) async throws -> OpenedStore {
        switch configuration.storage {
        case .sqlite:
            // One file has one writer: a second instance would publish the same events as a
            // second elected publisher, and wait on the first one's locks.
            guard configuration.endpoints.bookingd.count == 1 else {
                throw ConfigurationError(file: configuration.file, key: "endpoints.bookingd",
                                         problem: "several bookingd instances need `storage: postgresql`; on SQLite one instance owns the file")
            }
            let store = try SQLiteBookingStore(path: databasePath, masterKey: masterKey)
            return OpenedStore(store: store, copy: { path in
                let copy = try store.backup(to: path)
                return (copy.bytes, copy.integrity)
            }, election: SoleWriterElection(), pollEvery: .seconds(1))
        case let .postgresql(connection):
            let settings = try connection.settings(configuration) { url, passwordFile in
                try PostgresSettings(url: url, passwordFile: passwordFile).schema(name)
            }
            logger.info("store: PostgreSQL", metadata: ["database": "\(settings)", "schema": "\(name)", "connections": "\(connection.connections)"])
            let store = try await PostgresBookingStore(pool: PostgresPool(settings: settings, connections: connection.connections, logger: logger),
                                                       masterKey: masterKey)
            return OpenedStore(store: store, copy: { _ in throw BackupNotOnPostgres(daemon: name) },
                               election: AdvisoryLockElection(settings: settings, logger: logger), pollEvery: .milliseconds(50))
        }
    }
}
