import ArgumentParser
import BookingProtocol
import BookingService
import CivilTime
import DaemonKit
import Foundation
import SQLiteStorage

/// What `bookctl backup` writes beside the copies, and `bookctl restore` reads.
struct BackupManifest: Codable {
    struct File: Codable {
        var daemon: String
        var file: String
        var bytes: Int
        var integrity: String
        var createdAt: Date
    }

    /// The PostgreSQL dump of `storage: postgresql`: every PostgreSQL daemon's schema at once.
    struct Dump: Codable, Equatable {
        var file: String
        var bytes: Int
        var sha256: String
        /// The server it was taken from (`pg_restore --list`'s `Dumped from database version`).
        var serverVersion: String
        var schemas: [String]
        var createdAt: Date
    }

    /// 2: `postgresql` may name a dump. A restore refuses a format it does not know, rather than
    /// leave out what it cannot read.
    static let currentFormat = 2
    var format = currentFormat
    var suiteVersion: String
    var createdAt: Date
    var createdBy: String
    /// The SQLite copies, one per daemon that keeps a file.
    var files: [File]
    var postgresql: Dump?

    static func decode(_ data: Data) throws -> BackupManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(BackupManifest.self, from: data)
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take an online, consistent backup of every database into DIR, checked, with a manifest.",
        discussion: """
            Each daemon copies its own SQLite database from a read snapshot while it keeps working; with `storage: postgresql`, \
            bookctl dumps the PostgreSQL database (every daemon's schema in one snapshot) with pg_dump. DIR must be new or empty.
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Where to put the backup (created; must be empty).") var directory: String

    func run() async throws {
        let suite = try Suite.open(global)
        let manager = FileManager.default
        if manager.fileExists(atPath: directory), !((try? manager.contentsOfDirectory(atPath: directory)) ?? []).isEmpty {
            throw CommandFailure(message: "\(directory) is not empty; a backup never overwrites files", code: Exit.usage)
        }
        // The backup holds every contact: the daemons' modes, whatever the umask.
        try SQLiteFile.makeDirectory(directory)
        let label = "bookctl-" + ISO8601.instant(Date()).filter { $0.isNumber } + "-\(getpid())"
        var files: [BackupManifest.File] = []
        let dump = suite.configuration.storage == .sqlite ? nil : try PostgresBackup.take(suite.configuration, into: directory)
        for daemon in PostgresBackup.sqliteOwners(suite.configuration.storage) {
            let client = try await suite.client(daemon)
            let reply: BackupReply = try await client.call(MessageType.backup, BackupRequest(label: label), timeout: .seconds(120), attempts: 1)
            let name = "\(daemon).sqlite"
            let target = (directory as NSString).appendingPathComponent(name)
            try manager.copyItem(atPath: reply.path, toPath: target)
            // The daemon's copy was only a hand-over; the checked copy in DIR is the backup.
            try? manager.removeItem(atPath: reply.path)
            rmdir((reply.path as NSString).deletingLastPathComponent)  // only if nothing else is in it
            let integrity = try SQLiteBackup.check(target)
            guard integrity == "ok" else {
                throw CommandFailure(message: "\(target) failed its integrity check after copying: \(integrity)", code: Exit.refused)
            }
            files.append(.init(daemon: daemon, file: name, bytes: reply.bytes, integrity: integrity, createdAt: reply.createdAt))
        }
        await suite.context.shutdown()
        let manifest = BackupManifest(suiteVersion: SuiteVersion.current, createdAt: Date(), createdBy: OSUser.current, files: files, postgresql: dump)
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.json")
        guard manager.createFile(atPath: manifestPath, contents: try manifest.encoded(), attributes: [.posixPermissions: SQLiteFile.fileMode]) else {
            throw CommandFailure(message: "cannot write \(manifestPath): \(String(cString: strerror(errno)))", code: Exit.refused)
        }
        if global.json {
            Output.json(manifest)
        } else {
            if let dump {
                Output.line("PostgreSQL (\(dump.schemas.joined(separator: ", "))): \(dump.file), \(dump.bytes) bytes, server \(dump.serverVersion), integrity ok")
            }
            for file in files { Output.line("\(file.daemon): \(file.file), \(file.bytes) bytes, integrity \(file.integrity)") }
            Output.line("backup in \(directory)")
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup back in place; the suite must be stopped (systemctl stop booking.target).",
        discussion: """
            Every file is checked first; the SQLite files it replaces are kept beside them with a .before-restore suffix. \
            With `storage: postgresql` the dump goes into an empty database: postgresql.url's, or --into's; the erasures \
            recorded in the database it replaces (--from, or postgresql.url's when restoring --into another) are applied again.
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A directory written by bookctl backup.") var directory: String
    @Option(name: .long, help: "PostgreSQL: the empty database to restore into (default: postgresql.url's); same password credential.")
    var into: String?
    @Option(name: .long, help: "PostgreSQL: the database the restore replaces, to apply its erasures again (default: postgresql.url's when --into is given).")
    var from: String?

    func run() async throws {
        let suite = try Suite.open(global)
        for daemon in Suite.databaseOwners {
            let client = try await suite.client(daemon)
            if let _: PingReply = try? await client.call(MessageType.ping, Empty(), timeout: .milliseconds(500), attempts: 1) {
                await suite.context.shutdown()
                throw CommandFailure(message: "\(daemon) is running; stop the suite before restoring (systemctl stop booking.target)", code: Exit.refused)
            }
        }
        await suite.context.shutdown()
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw CommandFailure(message: "\(manifestPath) is missing: not a bookctl backup", code: Exit.refused)
        }
        let manifest: BackupManifest
        do {
            manifest = try BackupManifest.decode(data)
        } catch {
            throw CommandFailure(message: "\(manifestPath) is not a valid manifest: \(error)", code: Exit.refused)
        }
        guard manifest.format <= BackupManifest.currentFormat else {
            throw CommandFailure(message: "\(manifestPath) is of format \(manifest.format), newer than this bookctl's \(BackupManifest.currentFormat): restore it with the newer bookctl",
                                 code: Exit.refused)
        }
        let storage = suite.configuration.storage
        switch (storage, manifest.postgresql) {
        case (.sqlite, .some):
            throw CommandFailure(message: "\(directory) holds a PostgreSQL dump, and this suite keeps SQLite files (`storage: sqlite`); nothing was restored", code: Exit.refused)
        case (.postgresql, .none):
            throw CommandFailure(message: "\(directory) holds SQLite copies only, and this suite keeps its data in PostgreSQL; nothing was restored", code: Exit.refused)
        default: break
        }
        if storage == .sqlite, into != nil || from != nil {
            throw CommandFailure(message: "--into and --from are for `storage: postgresql`; this suite keeps SQLite files", code: Exit.usage)
        }
        let sqliteFiles = manifest.files.filter { PostgresBackup.sqliteOwners(storage).contains($0.daemon) }
        // Check everything before touching anything, so a bad backup changes nothing.
        for file in sqliteFiles {
            let path = (directory as NSString).appendingPathComponent(file.file)
            let integrity = try SQLiteBackup.check(path)
            guard integrity == "ok" else {
                throw CommandFailure(message: "\(path) failed its integrity check (\(integrity)); nothing was restored", code: Exit.refused)
            }
        }
        if let dump = manifest.postgresql {
            try PostgresBackup.verify(dump, in: directory)
            let target = try PostgresBackup.settings(suite.configuration, url: into, option: "--into")
            let replaced = try from.map { try PostgresBackup.settings(suite.configuration, url: $0, option: "--from") }
                ?? (into == nil ? nil : PostgresBackup.settings(suite.configuration, url: nil, option: "postgresql.url"))
            let applied = try await PostgresBackup.restore(dump, in: directory, into: target, replacing: replaced)
            Output.line("PostgreSQL: restored \(target) from the dump of \(ISO8601.instant(dump.createdAt)); its epoch is new")
            if let applied, let replaced {
                Output.line("bookingd: \(applied) erasures recorded in \(replaced) applied to it again")
            } else {
                // Without the old database, erasures made after the dump cannot be known here.
                Output.line("""
                    warning: no old database to read erasures from (--from): erasures made after \(ISO8601.instant(dump.createdAt)) are not applied again. \
                    Before starting the suite, erase again every client erased since then (the audit trail, your records of data requests: bookctl erase).
                    """)
            }
            if into != nil { Output.line("point postgresql.url at \(target) before starting the suite") }
        }
        try restoreFiles(sqliteFiles, of: suite)
    }

    /// Swaps in the checked SQLite copies, keeping the files they replace.
    private func restoreFiles(_ files: [BackupManifest.File], of suite: Suite) throws {
        guard !files.isEmpty else { return }
        let suffix = ".before-restore-" + ISO8601.instant(Date()).filter { $0.isNumber }
        try FileManager.default.createDirectory(atPath: suite.configuration.stateDirectory, withIntermediateDirectories: true)
        // Restored files belong to whoever owns the state directory (the booking user), so the
        // daemons can write them even when an admin restores as root.
        let owner = try? FileManager.default.attributesOfItem(atPath: suite.configuration.stateDirectory)
        for file in files {
            let target = suite.configuration.databasePath("\(file.daemon).sqlite")
            var source = (directory as NSString).appendingPathComponent(file.file)
            // A backup holds the data keys of clients erased since it was taken: their erasures
            // go into the copy before it replaces the database that records them.
            let prepared = target + ".erasures-applied"
            if file.daemon == BookingDaemon.name {
                try? FileManager.default.removeItem(atPath: prepared)
                try FileManager.default.copyItem(atPath: source, toPath: prepared)
                let applied = try BookingDaemon.reapplyErasures(from: target, onto: prepared)
                if applied > 0 { Output.line("\(file.daemon): \(applied) erasures made since the backup applied to it again") }
                // Its sequence numbers may repeat those already published: a new epoch tells followers.
                try BookingDaemon.renewEpoch(of: prepared)
                source = prepared
            }
            defer { try? FileManager.default.removeItem(atPath: prepared) }
            try SQLiteBackup.restore(source, to: target, keepingOldAs: suffix)
            if let uid = owner?[.ownerAccountID] as? UInt32, let gid = owner?[.groupOwnerAccountID] as? UInt32 {
                chown(target, uid, gid)
            }
            Output.line("\(file.daemon): restored \(target) from the backup of \(ISO8601.instant(file.createdAt))")
        }
    }
}
