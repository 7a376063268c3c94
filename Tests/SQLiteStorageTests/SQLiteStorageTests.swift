import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL
import Testing

/// The one way of keeping data, against real files in a temporary directory.
@Suite struct SQLiteStorageTests {
    let directory = NSTemporaryDirectory() + "storage-\(UUID().uuidString)/data"

    var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: things") { db in
            try db.execute(sql: "CREATE TABLE things (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL)")
            try AuditTrail.createTable(db)
        }
        migrator.registerMigration("v2: a thing") { db in
            try db.execute(sql: "INSERT INTO things (at, kind) VALUES (0, 'seed')")
        }
        return migrator
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func filesAndDirectoryGetTheDaemonsModesWhateverTheUmask() throws {
        let previous = umask(0o002)
        defer { umask(previous) }
        let path = directory + "/store.sqlite"
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: migrator)
        try pool.write { db in try db.execute(sql: "INSERT INTO things (at, kind) VALUES (1, 'x')") }
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(try mode(file) == 0o600, "\(file)")
        }
        #expect(try mode(directory) == 0o750)
        let copy = try SQLiteBackup.copy(pool, to: directory + "/backups/copy.sqlite")
        #expect(copy.integrity == "ok")
        #expect(try mode(copy.path) == 0o600)
        #expect(try mode(directory + "/backups") == 0o750)
        try pool.close()
    }

    @Test func theWriterSyncsEveryCommit() throws {
        let pool = try SQLiteFile.open(path: directory + "/store.sqlite", label: "test", migrator: migrator)
        #expect(try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2, "FULL")
        #expect(try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        try pool.close()
    }

    @Test func aFileThatIsNotADatabaseIsRefusedByName() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/notes.sqlite"
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            try SQLiteFile.open(path: path, label: "test", migrator: migrator)
        } throws: { error in
            guard case let .cannotOpen(named, _)? = error as? StoreError else { return false }
            return named == path && "\(error)".contains(path)
        }
    }

    @Test func migrationsAreAppliedOnce() throws {
        let path = directory + "/store.sqlite"
        try SQLiteFile.open(path: path, label: "test", migrator: migrator).close()
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: migrator)
        let (count, applied) = try pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM things"), try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"))
        }
        #expect(count == 1)
        #expect(applied == ["v1: things", "v2: a thing"])
        try pool.close()
    }

    @Test func aRowThatCannotBeReadIsATypedErrorNamingIt() throws {
        let pool = try SQLiteFile.open(path: directory + "/store.sqlite", label: "test", migrator: migrator)
        let row = try #require(try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM things") })
        let stored = StoredRow(row, table: "things", keyColumn: "id")
        #expect(try stored.parsed("kind") { $0 == "seed" ? 1 : nil } == 1)
        #expect(throws: StoreError.unreadableRow(table: "things", key: "1", problem: "column kind holds 'seed', which is not a valid Bool")) {
            try stored.parsed("kind", { Bool($0) })
        }
        #expect {
            try stored.value("missing", as: String.self)
        } throws: { error in
            guard case let .unreadableRow(table, key, problem)? = error as? StoreError else { return false }
            return table == "things" && key == "1" && problem.contains("missing")
        }
        try pool.close()
    }

    @Test func instantsAreWholeMillisecondsRounded() {
        let date = Date(timeIntervalSince1970: 1_796_194_800.0006)
        #expect(Millis.of(date) == 1_796_194_800_001)
        #expect(Millis.of(Millis.date(1_796_194_800_123)) == 1_796_194_800_123)
    }

    @Test func anOlderAuditTableIsMovedIntoTheOneSchema() throws {
        var old = DatabaseMigrator()
        old.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, command TEXT NOT NULL,
                                    outcome TEXT NOT NULL, correlation_id TEXT NOT NULL);
                INSERT INTO audit (at, user, command, outcome, correlation_id) VALUES ('2026-12-01T05:00:00Z', 'ops', 'block', 'ok', 'c-1');
                """)
        }
        let path = directory + "/old.sqlite"
        try SQLiteFile.open(path: path, label: "test", migrator: old).close()
        var migrator = old
        migrator.registerMigration("v2") { db in try AuditTrail.replaceOlderTable(db, atSQL: Millis.fromTextSQL("at")) }
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: migrator)
        let entries = try pool.write { db in
            try AuditTrail.record(AuditEntry(command: "reload", user: nil, outcome: "ok", correlationId: "c-2", at: Date(timeIntervalSince1970: 1)), in: db)
            return try AuditTrail.entries(db, limit: 10)
        }
        #expect(entries == [
                AuditEntry(command: "reload", user: nil, outcome: "ok", correlationId: "c-2", at: Date(timeIntervalSince1970: 1)),
                AuditEntry(command: "block", user: "ops", outcome: "ok", correlationId: "c-1", at: Date(timeIntervalSince1970: 1_796_101_200)),
        ])
        try pool.close()
    }
}
