import BookingDomain
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import StoreSQL

// What only SQLite has of erasure: its tables' schema, and putting the requested erasures back
// into a restored copy of the file.

extension Schema {
    /// v8: when an appointment's personal data was erased, and the record of each act of erasure
    /// (which the regulator requires to be kept) with the clients it concerned.
    static func createErasureTables(_ db: Database) throws {
        try db.execute(sql: """
            -- Set when `contact` was erased (made NULL): the row reads as erased, not as unreadable.
            ALTER TABLE appointments ADD COLUMN erased_at INTEGER;
            -- One act of erasure: what, when, by whom, why; no personal data.
            CREATE TABLE erasures (
                id TEXT PRIMARY KEY,
                at INTEGER NOT NULL,
                user TEXT NOT NULL,
                reason TEXT NOT NULL CHECK (reason IN ('request', 'retention')),
                appointments INTEGER NOT NULL,
                history_entries INTEGER NOT NULL,
                idempotency_records INTEGER NOT NULL,
                client_keys INTEGER NOT NULL,
                cancelled INTEGER NOT NULL
            );
            -- Which clients (random ids) an erasure concerned: an export finds its records, and a
            -- restore of an older copy applies the requested ones again (`ErasureLedger.reapply`).
            CREATE TABLE erasure_clients (
                erasure_id TEXT NOT NULL REFERENCES erasures(id),
                client_id TEXT NOT NULL,
                PRIMARY KEY (client_id, erasure_id)
            );
            """)
    }
}

extension ErasureLedger {
    /// Applies the requested erasures of `replaced` (the database a restore is about to replace)
    /// to `restored` (an older copy put in its place), before anything reads it: a backup copies
    /// `client_keys` too, so without this a restore would bring an erased client's data back.
    /// Plain SQL, without the master key: it only deletes keys and blanks columns. Retention needs
    /// nothing here, since bookingd applies its rule again when it starts. Returns the number of
    /// records applied (0 if `replaced` has none, or does not exist).
    public static func reapply(from replaced: String, onto restored: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: replaced) else { return 0 }
        var configuration = Configuration()
        configuration.readonly = true
        let old = try DatabaseQueue(path: replaced, configuration: configuration)
        defer { try? old.close() }
        let requested = try old.read { db -> [ErasureRecord] in
            guard try db.tableExists("erasures") else { return [] }
            return try records(SQLiteTransaction(db), clientIds: nil).filter { $0.reason == .request }
        }
        guard !requested.isEmpty else { return 0 }
        let target = try DatabaseQueue(path: restored)
        defer { try? target.close() }
        var applied = 0
        try target.write { db in
            if try !db.tableExists("erasures") {
                // An older copy: the erasure tables come as migration v8 would make them.
                guard try db.tableExists("client_keys") else {
                    throw StoreError.unreadableRow(table: "client_keys", key: "-", problem: "the copy is older than schema v7 (no sealed data): erase it by hand")
                }
                try Schema.createErasureTables(db)
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v8: erasures')")
            }
            applied = try reapply(requested, in: SQLiteTransaction(db), consents: try db.tableExists("consents"))
        }
        // Nothing of the blanked values may stay in free pages or the WAL.
        try target.vacuum()
        return applied
    }
}
