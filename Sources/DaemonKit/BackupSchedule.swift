import BookingProtocol
import CivilTime
import Foundation
import Logging
import ServiceLifecycle

/// A daemon's own backups: on request (`backup`, from `bookctl backup`) and daily, if the
/// configuration asks, into `<state directory>/backups/<label>/<daemon>.sqlite`. Each daemon
/// copies only the database it owns, so "one writer per database" holds for backups too.
public struct DaemonBackups: Sendable {
    public typealias Copy = @Sendable (_ path: String) throws -> (bytes: Int, integrity: String)

    let daemon: String
    let directory: String
    let copy: Copy
    let clock: SuiteClock
    let logger: Logger

    public init(daemon: String, configuration: SuiteConfiguration, clock: SuiteClock, logger: Logger, copy: @escaping Copy) {
        self.daemon = daemon
        self.directory = configuration.backupDirectory
        self.copy = copy
        self.clock = clock
        self.logger = logger
    }

    public func take(label: String) throws -> BackupReply {
        guard FieldLimits.backupLabelCharacters.contains(label.count), label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }), !label.hasPrefix(".") else {
            throw ProtocolError(.validationFailed, "a backup label has \(FieldLimits.backupLabelCharacters.lowerBound) to \(FieldLimits.backupLabelCharacters.upperBound) letters, digits, '-', '_' or '.'", field: "label")
        }
        let folder = (directory as NSString).appendingPathComponent(label)
        let path = (folder as NSString).appendingPathComponent("\(daemon).sqlite")
        let result: (bytes: Int, integrity: String)
        do {
            // The daemons run as different users of one group (script/install), and each puts its
            // copy in the same folder: the group may write there, whoever made it.
            for shared in [directory, folder] {
                try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
                _ = chmod(shared, 0o770)
            }
            result = try copy(path)
        } catch {
            logger.error("backup failed", metadata: ["path": "\(path)", "error": "\(error)"])
            throw ProtocolError(.internalError, "\(daemon) could not write its backup: \(error)")
        }
        logger.notice("backup written", metadata: ["path": "\(path)", "bytes": "\(result.bytes)"])
        return BackupReply(daemon: daemon, path: path, bytes: result.bytes, integrity: result.integrity, createdAt: clock.now())
    }

    public func addRoute(to routes: inout RequestRoutes) {
        routes.on(MessageType.backup, BackupRequest.self) { request, header in
            logger.notice("backup asked", metadata: ["label": "\(request.label)", "user": "\(header.user ?? "-")"])
            return try take(label: request.label)
        }
    }

    /// The daily backups `backups:` asks for, as a service to run; none for a store kept in
    /// PostgreSQL (said in the log), whose database is backed up whole with pg_dump.
    public func daily(_ configuration: SuiteConfiguration, zone: TimeZone, storeInPostgres: Bool) -> [any Service] {
        guard let policy = configuration.backups else { return [] }
        guard !storeInPostgres else {
            logger.warning("no daily backups: \(daemon) keeps its data in PostgreSQL; schedule bookctl backup (or pg_dump) from a timer")
            return []
        }
        return [schedule(policy, zone: zone)]
    }

    /// The daily backups: every ten minutes, take today's if it is due and missing, and keep
    /// only the newest `keepDaily` days.
    public func schedule(_ policy: SuiteConfiguration.BackupPolicy, zone: TimeZone) -> PeriodicService {
        PeriodicService(every: .seconds(600), runFirst: true) {
            let now = clock.now()
            let today = LocalDate.containing(now, in: zone)
            let path = ((directory as NSString).appendingPathComponent(today.description) as NSString).appendingPathComponent("\(daemon).sqlite")
            if now >= today.instant(at: policy.at, in: zone), !FileManager.default.fileExists(atPath: path) {
                do {
                    _ = try take(label: today.description)
                } catch {
                    logger.error("daily backup failed", metadata: ["error": "\(error)"])
                }
            }
            prune(keeping: policy.keepDaily)
        }
    }

    /// Removes this daemon's files from daily folders beyond the newest `count`, and folders left empty.
    func prune(keeping count: Int) {
        let manager = FileManager.default
        let days = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter { LocalDate($0) != nil }.sorted()
        for day in days.dropLast(count) {
            let folder = (directory as NSString).appendingPathComponent(day)
            try? manager.removeItem(atPath: (folder as NSString).appendingPathComponent("\(daemon).sqlite"))
            if (try? manager.contentsOfDirectory(atPath: folder))?.isEmpty == true {
                try? manager.removeItem(atPath: folder)
            }
        }
    }
}
