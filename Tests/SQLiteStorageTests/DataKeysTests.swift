import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import Testing

/// The keys a database keeps, against real files.
@Suite struct DataKeysTests {
    let directory = NSTemporaryDirectory() + "data-keys-\(UUID().uuidString)"
    let master = MasterKey(.random())

    func migrator(_ master: MasterKey) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: keys") { db in _ = try DataKeys.createTables(db, master: master) }
        return migrator
    }

    @Test func aClientsKeyIsMadeOnceAndOpensWhatItSealed() throws {
        let pool = try SQLiteFile.open(path: directory + "/a.sqlite", label: "test", migrator: migrator(master))
        defer { try? pool.close() }
        let binding = FieldBinding(table: "t", column: "c", row: "1")
        let sealed = try pool.write { db in
            try DataKeys.load(db, master: master).clientCipher(db, clientId: "c1").seal("Иван", binding: binding)
        }
        let opened = try pool.read { db in
            try DataKeys.load(db, master: master).existingClientCipher(db, clientId: "c1")?.openText(sealed, binding: binding)
        }
        #expect(opened == "Иван")
        #expect(try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client_keys") } == 1)
    }

    @Test func aDestroyedKeyLeavesItsDataSealedForGood() throws {
        let pool = try SQLiteFile.open(path: directory + "/b.sqlite", label: "test", migrator: migrator(master))
        defer { try? pool.close() }
        try pool.write { db in
            let keys = try DataKeys.load(db, master: master)
            _ = try keys.clientCipher(db, clientId: "c1")
            #expect(try keys.destroyClientKey(db, clientId: "c1"))
            #expect(try keys.existingClientCipher(db, clientId: "c1") == nil)
            #expect(try !keys.destroyClientKey(db, clientId: "c1"))
        }
    }

    @Test func theBlindIndexKeySurvivesAReopen() throws {
        let path = directory + "/c.sqlite"
        let first = try SQLiteFile.open(path: path, label: "test", migrator: migrator(master))
        let before = try first.read { db in try DataKeys.load(db, master: master).index.email("ivan@example.com") }
        try first.close()
        let second = try SQLiteFile.open(path: path, label: "test", migrator: migrator(master))
        defer { try? second.close() }
        #expect(try second.read { db in try DataKeys.load(db, master: master).index.email("ivan@example.com") } == before)
    }

    @Test func anotherMasterKeyIsRecognisedAsNotTheDatabasesOwn() throws {
        let pool = try SQLiteFile.open(path: directory + "/d.sqlite", label: "test", migrator: migrator(master))
        defer { try? pool.close() }
        let other = MasterKey(.random())
        #expect(throws: KeyMismatch(expected: master.fingerprint, given: other.fingerprint)) {
            try pool.read { db in try DataKeys.load(db, master: other) }
        }
    }

    @Test func theStoredFingerprintIsReadWithoutChangingAFile() throws {
        let path = directory + "/e dir?#%/e.sqlite"
        #expect(try DataKeys.storedMasterKeys(path: path) == nil)
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: migrator(master))
        try pool.close()
        let folder = (path as NSString).deletingLastPathComponent
        let before = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let bytes = FileManager.default.contents(atPath: path)
        #expect(try DataKeys.storedMasterKeys(path: path) == StoredMasterKeys(keyring: master.fingerprint, rotation: nil))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == before)
        #expect(FileManager.default.contents(atPath: path) == bytes)
    }

    @Test func aDatabaseWithoutKeysHasNoFingerprint() throws {
        var plain = DatabaseMigrator()
        plain.registerMigration("v1") { db in try db.execute(sql: "CREATE TABLE t (x)") }
        let path = directory + "/f.sqlite"
        try SQLiteFile.open(path: path, label: "test", migrator: plain).close()
        #expect(try DataKeys.storedMasterKeys(path: path) == nil)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedByName() throws {
        let path = directory + "/g.sqlite"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect { try DataKeys.storedMasterKeys(path: path) } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("not an SQLite database")
        }
    }
}
