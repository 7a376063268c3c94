import FieldEncryption
import Foundation
import GRDB
import SharedTables
import StoreSQL

// The shared tables (`SharedTables`) as SQLite keeps them: their schema, what only a file has
// (reading its keys without opening it, emptying its WAL), and their row work on a GRDB
// connection for the stores that still speak GRDB.

extension AuditTrail {
    /// Creates the table in a new database.
    public static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                user TEXT,
                command TEXT NOT NULL,
                reference TEXT,
                correlation_id TEXT NOT NULL,
                outcome TEXT NOT NULL
            )
            """)
    }

    /// Moves the rows of an `audit` table of an older schema (with `command`, `user`, `outcome`,
    /// `correlation_id` and `at`) into the one schema, as admin commands; `at` is SQL giving
    /// the instant in milliseconds from the old row.
    public static func replaceOlderTable(_ db: Database, atSQL: String = "at") throws {
        try db.execute(sql: "ALTER TABLE audit RENAME TO audit_before")
        try createTable(db)
        try db.execute(sql: """
            INSERT INTO audit (id, at, actor, user, command, reference, correlation_id, outcome)
            SELECT id, \(atSQL), 'admin', user, command, NULL, correlation_id, outcome FROM audit_before ORDER BY id
            """)
        try db.execute(sql: "DROP TABLE audit_before")
    }

    public static func record(_ entry: AuditEntry, in db: Database) throws {
        try record(entry, in: SQLiteTransaction(db))
    }

    public static func entries(_ db: Database, limit: Int) throws -> [AuditEntry] {
        try entries(SQLiteTransaction(db), limit: limit)
    }
}

extension MasterKeyRotation {
    /// Schema: the rotation under way, at most one. No index finds the keys left to re-wrap: a
    /// rotation is rare and scans, while every new client's key would pay for the index.
    public static func createTable(_ db: Database) throws {
        try db.execute(sql: """
            -- The master key rotation under way, if any: each key wrapped by the other, so either
            -- opens the database until `finish` deletes the row.
            CREATE TABLE key_rotation (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                from_fingerprint TEXT NOT NULL,
                to_fingerprint TEXT NOT NULL,
                to_under_from BLOB NOT NULL,
                from_under_to BLOB NOT NULL
            );
            """)
    }

}

extension DataKeys {
    /// The tables, and the keyring row for `master` with a new index key: the first step of a
    /// migration that starts encrypting (the data of the tables before it is sealed next).
    public static func createTables(_ db: Database, master: MasterKey) throws -> DataKeys {
        try db.execute(sql: """
            -- The master key's fingerprint (what a daemon checks its key against before it
            -- changes anything) and the blind index's key, wrapped by the master key.
            CREATE TABLE keyring (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                master_fingerprint TEXT NOT NULL,
                index_key BLOB NOT NULL
            );
            -- One data key per client, wrapped by the master key named by its fingerprint (a
            -- rotation re-wraps them one by one, so a row says which key it is under).
            -- WITHOUT ROWID: one B-tree keyed by the client, not a table and an index of its key,
            -- so a new client's key is one page more to write, not two.
            CREATE TABLE client_keys (
                client_id TEXT PRIMARY KEY,
                wrapped_key BLOB NOT NULL,
                master_fingerprint TEXT NOT NULL
            ) WITHOUT ROWID;
            """)
        return try createKeyring(SQLiteTransaction(db), master: master)
    }

    /// The keys of a database that has its keyring (a schema older than rotations has no
    /// `key_rotation` table).
    public static func load(_ db: Database, master: MasterKey) throws -> DataKeys {
        try load(SQLiteTransaction(db), master: master, hasRotationTable: db.tableExists("key_rotation"))
    }

    public func clientCipher(_ db: Database, clientId: String) throws -> FieldCipher {
        try clientCipher(SQLiteTransaction(db), clientId: clientId)
    }

    public func newClientCipher(_ db: Database, clientId: String) throws -> FieldCipher {
        try newClientCipher(SQLiteTransaction(db), clientId: clientId)
    }

    public func existingClientCipher(_ db: Database, clientId: String) throws -> FieldCipher? {
        try existingClientCipher(SQLiteTransaction(db), clientId: clientId)
    }

    @discardableResult
    public func destroyClientKey(_ db: Database, clientId: String) throws -> Bool {
        try destroyClientKey(SQLiteTransaction(db), clientId: clientId)
    }

    /// The fingerprints of the master keys that open a database file, read without changing any
    /// file (no -wal or -shm is made, no lock taken): nil if the file does not exist or has no
    /// keyring yet. A daemon compares its key with them before it opens the file to write.
    public static func storedMasterKeys(path: String) throws(StoreError) -> StoredMasterKeys? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            // `immutable=1`: SQLite reads the main file as it is, touching nothing beside it.
            let queue = try DatabaseQueue(path: immutableURI(path), configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db -> StoredMasterKeys? in
                guard try db.tableExists("keyring"),
                      let keyring = try String.fetchOne(db, sql: "SELECT master_fingerprint FROM keyring WHERE id = 1") else { return nil }
                let rotation = try db.tableExists("key_rotation") ? MasterKeyRotation.fetch(SQLiteTransaction(db)) : nil
                return StoredMasterKeys(keyring: keyring, rotation: rotation.map { ($0.from, $0.to) })
            }
        } catch {
            throw .cannotOpen(path: path, problem: SQLiteFile.reason(error))
        }
    }

    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    public static func state(in pool: DatabasePool) async throws -> MasterKeyState {
        try await pool.read { db in try state(SQLiteTransaction(db)) }
    }

    /// One step towards `next` in its own transaction (rolled back if the request's deadline
    /// passed meanwhile), then the WAL emptied: a daemon checks its key against the main file
    /// alone before it opens the database, so the rotation's rows must be there.
    public func rotationStep(in pool: DatabasePool, to next: MasterKey, limit: Int) async throws -> RotationProgress {
        let progress = try await pool.writeBeforeDeadline { db in try self.rotationStep(SQLiteTransaction(db), to: next, limit: limit) }
        rotationStepCommitted(to: next)
        try SQLiteFile.emptyWAL(pool)
        return progress
    }

    /// Ends the rotation to `fingerprint` (see `finishRotation(_:to:)`), then empties the WAL,
    /// which still holds the keys as the old master key wrapped them.
    public func finishRotation(in pool: DatabasePool, to fingerprint: String) async throws -> String? {
        let retired = try await pool.writeBeforeDeadline { db in try self.finishRotation(SQLiteTransaction(db), to: fingerprint) }
        if let retired { rotationFinished(retiring: retired) }
        try SQLiteFile.emptyWAL(pool)
        return retired
    }
}
