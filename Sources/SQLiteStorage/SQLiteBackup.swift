import Foundation
import GRDB
import StoreSQL

/// Consistent copies of a live SQLite database, and their checks. A copy is taken from a read
/// snapshot with SQLite's backup API, so writers go on meanwhile and the copy holds every
/// transaction committed before it began and none after.
public enum SQLiteBackup {
    public struct Copy: Sendable, Codable, Equatable {
        public var path: String
        public var bytes: Int
        /// `ok`, or what `PRAGMA integrity_check` found.
        public var integrity: String
    }

    /// Copies `source` to a new file at `path` (which must not exist) and checks the copy.
    public static func copy(_ source: any DatabaseReader, to path: String) throws(StoreError) -> Copy {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw .backupFailed(path: path, problem: "it exists already; a backup never overwrites a file")
        }
        let partial = path + ".partial"
        do {
            // A folder that exists is left as it is: the daemons' shared backup folders are the group's.
            let folder = (path as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: folder) { try SQLiteFile.makeDirectory(folder) }
            try? FileManager.default.removeItem(atPath: partial)
            // A backup holds the same data as the database: the same modes, made before SQLite writes.
            try SQLiteFile.prepareFile(partial)
            let destination = try DatabaseQueue(path: partial)
            try source.backup(to: destination)
            try destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try destination.close()
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw .backupFailed(path: path, problem: "\(error)")
        }
        // Only a complete, checked copy gets the final name.
        let integrity = try check(partial)
        guard integrity == "ok" else {
            throw .backupFailed(path: path, problem: "the copy failed its integrity check: \(integrity)")
        }
        do {
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            throw .backupFailed(path: path, problem: "\(error)")
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Copy(path: path, bytes: bytes, integrity: integrity)
    }

    /// `PRAGMA integrity_check` of a database file, opened read-only.
    public static func check(_ path: String) throws(StoreError) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .backupFailed(path: path, problem: "it does not exist")
        }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            let lines = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            return lines.joined(separator: "; ")
        } catch {
            throw .backupFailed(path: path, problem: "\(error)")
        }
    }

    /// Puts a checked copy in place of `target` (whose daemon must be stopped): the file it
    /// replaces is kept beside it, and the old write-ahead log is removed, since it belongs to
    /// the replaced file.
    public static func restore(_ copy: String, to target: String, keepingOldAs suffix: String) throws(StoreError) {
        let integrity = try check(copy)
        guard integrity == "ok" else {
            throw .backupFailed(path: copy, problem: "it failed its integrity check: \(integrity); nothing was restored")
        }
        do {
            try replace(target, with: copy, keepingOldAs: suffix)
        } catch {
            throw .backupFailed(path: copy, problem: "\(error)")
        }
        try SQLiteFile.restrict(target)
    }

    private static func replace(_ target: String, with copy: String, keepingOldAs suffix: String) throws {
        let manager = FileManager.default
        // Copy beside the target first: if the copy fails, the old database is still in place.
        let incoming = target + ".restoring"
        try? manager.removeItem(atPath: incoming)
        try manager.copyItem(atPath: copy, toPath: incoming)
        if manager.fileExists(atPath: target) {
            try manager.moveItem(atPath: target, toPath: target + suffix)
        }
        for leftover in [target + "-wal", target + "-shm"] where manager.fileExists(atPath: leftover) {
            try manager.moveItem(atPath: leftover, toPath: leftover + suffix)
        }
        try manager.moveItem(atPath: incoming, toPath: target)
    }
}
