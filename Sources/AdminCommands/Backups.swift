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

    var format = 1
    var suiteVersion: String
    var createdAt: Date
    var createdBy: String
    var files: [File]
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take an online, consistent backup of every database into DIR, checked, with a manifest.",
        discussion: "Each daemon copies its own database from a read snapshot while it keeps working; DIR must be new or empty."
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
        for daemon in Suite.databaseOwners {
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
        let manifest = BackupManifest(suiteVersion: SuiteVersion.current, createdAt: Date(), createdBy: OSUser.current, files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.json")
        guard manager.createFile(atPath: manifestPath, contents: try encoder.encode(manifest), attributes: [.posixPermissions: SQLiteFile.fileMode]) else {
            throw CommandFailure(message: "cannot write \(manifestPath): \(String(cString: strerror(errno)))", code: Exit.refused)
        }
        if global.json {
            Output.json(manifest)
        } else {
            for file in files { Output.line("\(file.daemon): \(file.file), \(file.bytes) bytes, integrity \(file.integrity)") }
            Output.line("backup in \(directory)")
        }
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup back in place; the suite must be stopped (systemctl stop booking.target).",
        discussion: "Every file is checked first; the files it replaces are kept beside them with a .before-restore suffix."
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "A directory written by bookctl backup.") var directory: String

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
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest: BackupManifest
        do {
            manifest = try decoder.decode(BackupManifest.self, from: data)
        } catch {
            throw CommandFailure(message: "\(manifestPath) is not a valid manifest: \(error)", code: Exit.refused)
        }
        // Check every file before touching anything, so a bad backup changes nothing.
        for file in manifest.files {
            let path = (directory as NSString).appendingPathComponent(file.file)
            let integrity = try SQLiteBackup.check(path)
            guard integrity == "ok" else {
                throw CommandFailure(message: "\(path) failed its integrity check (\(integrity)); nothing was restored", code: Exit.refused)
            }
        }
        let suffix = ".before-restore-" + ISO8601.instant(Date()).filter { $0.isNumber }
        try FileManager.default.createDirectory(atPath: suite.configuration.stateDirectory, withIntermediateDirectories: true)
        // Restored files belong to whoever owns the state directory (the booking user), so the
        // daemons can write them even when an admin restores as root.
        let owner = try? FileManager.default.attributesOfItem(atPath: suite.configuration.stateDirectory)
        for file in manifest.files {
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
