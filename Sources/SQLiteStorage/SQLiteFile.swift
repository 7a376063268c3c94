import Foundation
import GRDB
import StoreSQL

/// The one way a daemon opens its database: a WAL pool whose writer syncs every commit
/// (`synchronous=FULL`), waits for locks instead of failing at once, keeps its files to the
/// daemon's user (0600, in a 0750 directory) whatever the umask, and is migrated forward
/// before first use.
public enum SQLiteFile {
    public static let fileMode: mode_t = 0o600
    public static let directoryMode: mode_t = 0o750

    /// Opens (creating if need be) the database at `path` and applies the store's migrations
    /// that it has not had yet.
    public static func open(path: String, label: String, migrator: DatabaseMigrator) throws(StoreError) -> DatabasePool {
        try prepareFile(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = label
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .cannotOpen(path: path, problem: reason(error))
        }
        do {
            // Not in `prepareDatabase`: GRDB sets NORMAL on the writer after that hook, when it
            // turns WAL on. A change is acknowledged only once durable, so FULL goes last.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try migrator.migrate(pool)
        } catch {
            try? pool.close()
            throw .cannotOpen(path: path, problem: reason(error))
        }
        // SQLite made -wal and -shm while opening; they hold the same data as the file.
        try restrict(path)
        return pool
    }

    /// Moves everything in the WAL into the main file and empties the WAL (a TRUNCATE
    /// checkpoint), waiting for readers as the busy timeout allows. Needed where the main file
    /// alone is read (a daemon checks its master key against it before it opens the database)
    /// and where the WAL would keep old copies of pages (erased data, keys under an old master
    /// key): SQLite does not always checkpoint when the last connection closes.
    public static func emptyWAL(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            guard try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")?[0] as Int? == 0 else { throw WALKept(path: pool.path) }
        }
    }

    public struct WALKept: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "the WAL of \(path) could not be emptied: a reader held it past the busy timeout" }
    }

    /// What an operator can act on, rather than the statement SQLite was running.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        switch error.resultCode {
        case .SQLITE_NOTADB: return "it is not an SQLite database (another kind of file, or damaged at its start)"
        case .SQLITE_CORRUPT: return "it is damaged (SQLite: \(error.message ?? "corrupt")); restore a backup (docs/operations.md)"
        case .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH: return "the daemon's user may not read and write it"
        case .SQLITE_CANTOPEN: return "it cannot be opened (a missing directory, or no permission on it or its -wal, -shm files)"
        case .SQLITE_FULL: return "the disk is full"
        default: return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "\(error)")"
        }
    }

    /// Creates the directory and an empty file with the daemon's modes before SQLite does, so
    /// no moment exists in which the umask decided who may read them; refuses a file it cannot read.
    static func prepareFile(_ path: String) throws(StoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try makeDirectory(directory.isEmpty ? "." : directory)
        } catch {
            throw .cannotOpen(path: path, problem: "\(error)")
        }
        if FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.isReadableFile(atPath: path), FileManager.default.isWritableFile(atPath: path) else {
                throw .cannotOpen(path: path, problem: "the daemon's user may not read and write it")
            }
        } else {
            let descriptor = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, fileMode)
            guard descriptor >= 0 else {
                throw .cannotOpen(path: path, problem: String(cString: strerror(errno)))
            }
            close(descriptor)
        }
    }

    /// Makes `directory` and the parents it lacks, each with the daemon's mode whatever the umask.
    /// A directory that exists keeps its mode: installed, the state directory is shared by the
    /// daemons' users through their group (systemd makes it 0770), and it is not one daemon's to close.
    public static func makeDirectory(_ directory: String) throws {
        var missing: [String] = []
        var ancestor = directory
        while !ancestor.isEmpty, ancestor != "/", !FileManager.default.fileExists(atPath: ancestor) {
            missing.append(ancestor)
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for made in missing where chmod(made, directoryMode) != 0 {
            throw StoreError.cannotOpen(path: made, problem: "chmod: \(String(cString: strerror(errno)))")
        }
    }

    /// Gives the database file and its -wal and -shm companions the daemon's mode.
    public static func restrict(_ path: String) throws(StoreError) {
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            guard chmod(file, fileMode) == 0 else {
                throw .cannotOpen(path: file, problem: "chmod: \(String(cString: strerror(errno)))")
            }
        }
    }
}
