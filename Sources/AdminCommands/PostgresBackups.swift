import AvailabilityService
import BookingService
import BookingStore
import Crypto
import DaemonKit
import Foundation
import NotificationService
import PostgresStorage

/// The PostgreSQL side of `bookctl backup` and `restore` (`storage: postgresql`): the daemons
/// that keep their tables there are backed up together, by one `pg_dump` that bookctl runs
/// itself, so every schema is of one instant.
enum PostgresBackup {
    /// The daemons whose tables are in PostgreSQL, each in the schema of its name; the other
    /// database owners keep their SQLite files and are copied through their `backup` route.
    static let daemons = [BookingDaemon.name, AvailabilityDaemon.name, NotificationDaemon.name]
    static let dumpFile = "postgresql.dump"

    /// The daemons that hand bookctl a SQLite copy under `storage`.
    static func sqliteOwners(_ storage: StorageConfiguration) -> [String] {
        guard case .postgresql = storage else { return Suite.databaseOwners }
        return Suite.databaseOwners.filter { !daemons.contains($0) }
    }

    /// The database `url` names (the configured one when nil), with the configured password.
    static func settings(_ configuration: SuiteConfiguration, url: String?, option: String) throws -> PostgresSettings {
        guard case let .postgresql(connection) = configuration.storage else {
            throw CommandFailure(message: "\(option) is for `storage: postgresql`; this suite keeps SQLite files", code: Exit.usage)
        }
        do {
            return try PostgresSettings(url: url ?? connection.url, passwordFile: connection.passwordFile(configuration: configuration))
        } catch {
            throw CommandFailure(message: "\(url == nil ? "postgresql.url" : option): \(error)", code: Exit.usage)
        }
    }

    /// Dumps the configured database into `directory` and checks the dump as a restore will.
    static func take(_ configuration: SuiteConfiguration, into directory: String) throws -> BackupManifest.Dump {
        let database = try settings(configuration, url: nil, option: "postgresql.url")
        let path = (directory as NSString).appendingPathComponent(dumpFile)
        let started = Date()
        do {
            try PostgresDump.dump(database, to: path)
        } catch {
            throw CommandFailure(message: "the dump of \(database) failed: \(error)", code: Exit.refused)
        }
        // The dump holds every contact: readable by its owner only, whatever the umask.
        chmod(path, 0o600)
        let contents = try check(path)
        return BackupManifest.Dump(file: dumpFile, bytes: try size(path), sha256: try sha256(path), serverVersion: contents.serverVersion ?? "unknown",
                                   schemas: contents.schemas, createdAt: started)
    }

    /// What `path` holds, refused unless `pg_restore --list` reads it and it holds every
    /// daemon's schema.
    static func check(_ path: String) throws -> PostgresDumpContents {
        let contents: PostgresDumpContents
        do {
            contents = try PostgresDump.contents(of: path)
        } catch {
            throw CommandFailure(message: "\(path) failed its check: \(error)", code: Exit.refused)
        }
        let missing = daemons.filter { !contents.schemas.contains($0) }
        guard missing.isEmpty else {
            throw CommandFailure(message: "\(path) holds no schema \(missing.joined(separator: ", ")): not a dump of the suite's database", code: Exit.refused)
        }
        return contents
    }

    /// Checks the dump a manifest names, before anything is touched: its size and SHA-256 as
    /// written, then `check`.
    static func verify(_ dump: BackupManifest.Dump, in directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(dump.file)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(message: "\(path) is missing; nothing was restored", code: Exit.refused)
        }
        guard try size(path) == dump.bytes, try sha256(path) == dump.sha256 else {
            throw CommandFailure(message: "\(path) is not the dump the manifest describes (its size or SHA-256 differ): damaged; nothing was restored", code: Exit.refused)
        }
        _ = try check(path)
    }

    /// Restores the checked dump into `target`, which must hold none of the daemons' schemas;
    /// then applies again the erasures `replaced` records. Returns the erasures applied, nil
    /// when there was no old database to read them from.
    static func restore(_ dump: BackupManifest.Dump, in directory: String, into target: PostgresSettings, replacing replaced: PostgresSettings?) async throws -> Int? {
        let present = try await schemas(in: target)
        guard present.isEmpty else {
            throw CommandFailure(message: "\(target) already holds the schemas \(present.joined(separator: ", ")): a restore goes into an empty database (make one, then pass it with --into); nothing was restored",
                                 code: Exit.refused)
        }
        do {
            try PostgresDump.restore((directory as NSString).appendingPathComponent(dump.file), into: target)
        } catch {
            throw CommandFailure(message: "the restore into \(target) failed and was rolled back: \(error)", code: Exit.refused)
        }
        guard let replaced else { return nil }
        do {
            return try await ErasureLedger.reapply(from: replaced.schema(BookingDaemon.name), onto: target.schema(BookingDaemon.name))
        } catch {
            throw CommandFailure(message: "the dump was restored into \(target), but the erasures of \(replaced) could not be applied to it again: \(error); do not start the suite on it before they are",
                                 code: Exit.refused)
        }
    }

    /// Which of the daemons' schemas `database` has.
    static func schemas(in database: PostgresSettings) async throws -> [String] {
        do {
            return try await PostgresDump.existingSchemas(daemons, in: database)
        } catch {
            throw CommandFailure(message: "cannot read \(database): \(error)", code: Exit.unreachable)
        }
    }

    static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CommandFailure(message: "cannot read \(path)", code: Exit.refused)
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
