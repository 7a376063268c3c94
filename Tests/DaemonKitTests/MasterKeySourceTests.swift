import DaemonKit
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import Testing

/// Where a daemon's master key comes from, and the refusals that leave every file as it was.
@Suite struct MasterKeySourceTests {
    let directory = NSTemporaryDirectory() + "master-key-\(UUID().uuidString)"
    var database: String { directory + "/bookingd.sqlite" }

    func encryptDatabase(with master: MasterKey) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: keys") { db in _ = try DataKeys.createTables(db, master: master) }
        try SQLiteFile.open(path: database, label: "test", migrator: migrator).close()
    }

    /// Every file under the directory and its bytes.
    func files() throws -> [String: Data] {
        var found: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            found[name] = FileManager.default.contents(atPath: directory + "/" + name)
        }
        return found
    }

    @Test func aNewDatabaseGetsADevelopmentKeyOnlyItsUserMayRead() throws {
        let source = MasterKeySource(daemon: "bookingd", databasePath: database, environment: [:])
        let (key, origin) = try source.load()
        #expect(origin == .newDevelopmentFile(path: directory + "/bookingd-master.key"))
        let mode = try FileManager.default.attributesOfItem(atPath: source.developmentFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let (again, secondOrigin) = try source.load()
        #expect(again.fingerprint == key.fingerprint)
        #expect(secondOrigin == .developmentFile(path: source.developmentFile))
    }

    @Test func aSystemdCredentialComesFirst() throws {
        let credentials = directory + "/credentials"
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        let secret = SecretKey.random()
        try Data((secret.base64 + "\n").utf8).write(to: URL(fileURLWithPath: credentials + "/bookingd-master-key"))
        let source = MasterKeySource(daemon: "bookingd", databasePath: database, environment: ["CREDENTIALS_DIRECTORY": credentials])
        let (key, origin) = try source.load()
        #expect(key.fingerprint == MasterKey(secret).fingerprint)
        #expect(origin == .credential(path: credentials + "/bookingd-master-key"))
        #expect(!FileManager.default.fileExists(atPath: source.developmentFile))
    }

    @Test func theWrongKeyIsRefusedInOneLineAndNoFileChanges() throws {
        let source = MasterKeySource(daemon: "bookingd", databasePath: database, environment: [:])
        let (key, _) = try source.load()
        try encryptDatabase(with: key)
        try Data((SecretKey.random().base64 + "\n").utf8).write(to: URL(fileURLWithPath: source.developmentFile))
        let before = try files()
        #expect { try source.load() } throws: { error in
            let line = "\(error)"
            return !line.contains("\n") && line.contains("is not the one \(database) was encrypted with") && line.contains(key.fingerprint)
        }
        #expect(try files() == before)
    }

    @Test func noKeyForAnEncryptedDatabaseIsRefusedAndNoKeyIsMade() throws {
        try encryptDatabase(with: MasterKey(.random()))
        let source = MasterKeySource(daemon: "bookingd", databasePath: database, environment: [:])
        let before = try files()
        #expect { try source.load() } throws: { error in
            "\(error)".contains("no master key was given") && "\(error)".contains("bookingd-master-key")
        }
        #expect(try files() == before)
    }

    @Test func aKeyFileOthersMayReadIsRefused() throws {
        let source = MasterKeySource(daemon: "bookingd", databasePath: database, environment: [:])
        _ = try source.load()
        chmod(source.developmentFile, 0o644)
        #expect { try source.load() } throws: { error in "\(error)".contains("may be read by others (mode 644)") }
    }

    @Test func aKeyFileThatHoldsNoKeyIsRefused() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = MasterKeySource(daemon: "bookingd", databasePath: database, environment: [:])
        #expect(FileManager.default.createFile(atPath: source.developmentFile, contents: Data("hello".utf8), attributes: [.posixPermissions: 0o600]))
        #expect { try source.load() } throws: { error in "\(error)".hasPrefix("the master key \(source.developmentFile): ") }
    }
}
