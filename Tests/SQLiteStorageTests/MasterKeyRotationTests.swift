import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import Testing

/// A master key rotation against real files: in steps, across reopenings with either key, with
/// keys made meanwhile, and what is refused.
@Suite struct MasterKeyRotationTests {
    let directory = NSTemporaryDirectory() + "key-rotation-\(UUID().uuidString)"
    let old = MasterKey(.random())
    let new = MasterKey(.random())
    let binding = FieldBinding(table: "t", column: "c", row: "1")

    static func migrator(_ master: MasterKey) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: keys") { db in _ = try DataKeys.createTables(db, master: master) }
        migrator.registerMigration("v2: rotation") { db in try MasterKeyRotation.createTable(db) }
        return migrator
    }

    /// A database under `old` with `count` clients, each with one sealed value (its id).
    func database(_ name: String, clients count: Int) throws -> (String, [String: [UInt8]]) {
        let path = directory + "/\(name).sqlite"
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(old))
        defer { try? pool.close() }
        let sealed = try pool.write { db in
            let keys = try DataKeys.load(db, master: old)
            var sealed: [String: [UInt8]] = [:]
            for index in 0..<count {
                let client = "client-\(index)"
                sealed[client] = try keys.clientCipher(db, clientId: client).seal(client, binding: binding)
            }
            return sealed
        }
        return (path, sealed)
    }

    /// Opens the database with `master` and reads every sealed value back.
    func readsEverything(_ path: String, with master: MasterKey, _ sealed: [String: [UInt8]]) throws -> Bool {
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(master))
        defer { try? pool.close() }
        return try pool.read { db in
            let keys = try DataKeys.load(db, master: master)
            return try sealed.allSatisfy { client, value in
                try keys.existingClientCipher(db, clientId: client)?.openText(value, binding: binding) == client
            }
        }
    }

    func step(_ path: String, with master: MasterKey, limit: Int) async throws -> RotationProgress {
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(master))
        defer { try? pool.close() }
        let keys = try await pool.read { db in try DataKeys.load(db, master: master) }
        return try await keys.rotationStep(in: pool, to: new, limit: limit)
    }

    @Test func aRotationInStepsReadsEverythingWithEitherKeyUntilFinished() async throws {
        let (path, sealed) = try database("a", clients: 7)
        let first = try await step(path, with: old, limit: 3)
        #expect(first == RotationProgress(from: old.fingerprint, to: new.fingerprint, rewrapped: 3, remaining: 4, rewrappedAll: false))
        // Stopped half-way (as a kill -9 would leave it): either key opens everything.
        #expect(try readsEverything(path, with: old, sealed))
        #expect(try readsEverything(path, with: new, sealed))
        let stored = try DataKeys.storedMasterKeys(path: path)
        #expect(stored?.accepts(old.fingerprint) == true && stored?.accepts(new.fingerprint) == true)
        // Going on with the new key this time, as a daemon started with it would.
        #expect(try await step(path, with: new, limit: 3).remaining == 1)
        let last = try await step(path, with: old, limit: 3)
        #expect(last.rewrapped == 1 && last.remaining == 0 && last.rewrappedAll)
        // A repeat after a lost answer finds nothing more to do.
        #expect(try await step(path, with: new, limit: 3) == RotationProgress(from: old.fingerprint, to: new.fingerprint, rewrapped: 0, remaining: 0, rewrappedAll: true))
        #expect(try readsEverything(path, with: old, sealed))

        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(new))
        let keys = try await pool.read { db in try DataKeys.load(db, master: new) }
        #expect(try await keys.finishRotation(in: pool, to: new.fingerprint) == old.fingerprint)
        // Again: already finished.
        #expect(try await keys.finishRotation(in: pool, to: new.fingerprint) == nil)
        try pool.close()

        #expect(try readsEverything(path, with: new, sealed))
        #expect(try DataKeys.storedMasterKeys(path: path) == StoredMasterKeys(keyring: new.fingerprint, rotation: nil))
        let reopened = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(old))
        defer { try? reopened.close() }
        await #expect(throws: KeyMismatch(expected: new.fingerprint, given: old.fingerprint)) {
            try await reopened.read { db in try DataKeys.load(db, master: old) }
        }
    }

    @Test func theBlindIndexIsTheSameUnderTheNewKey() async throws {
        let (path, _) = try database("b", clients: 2)
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(old))
        let before = try await pool.read { db in try DataKeys.load(db, master: old).index.email("ivan@example.com") }
        try pool.close()
        #expect(try await step(path, with: old, limit: 10).rewrappedAll)
        let after = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(new))
        defer { try? after.close() }
        #expect(try await after.read { db in try DataKeys.load(db, master: new).index.email("ivan@example.com") } == before)
    }

    @Test func aClientKeyMadeDuringTheRotationIsUnderTheNewKey() async throws {
        let (path, sealed) = try database("c", clients: 4)
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(old))
        defer { try? pool.close() }
        let keys = try await pool.read { db in try DataKeys.load(db, master: old) }
        let progress = try await keys.rotationStep(in: pool, to: new, limit: 1)
        let late = try await pool.write { db in try keys.clientCipher(db, clientId: "late").seal("late", binding: binding) }
        #expect(try await DataKeys.state(in: pool).remaining == progress.remaining)
        #expect(try await pool.read { db in try String.fetchOne(db, sql: "SELECT master_fingerprint FROM client_keys WHERE client_id = 'late'") } == new.fingerprint)
        while try await !keys.rotationStep(in: pool, to: new, limit: 1).rewrappedAll {}
        #expect(try await keys.finishRotation(in: pool, to: new.fingerprint) == old.fingerprint)
        let all = sealed.merging(["late": late]) { $1 }
        #expect(try await pool.read { db in
            try all.allSatisfy { client, value in try keys.existingClientCipher(db, clientId: client)?.openText(value, binding: binding) == client }
        })
    }

    @Test func whatIsRefusedChangesNothing() async throws {
        let (path, _) = try database("d", clients: 3)
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(old))
        defer { try? pool.close() }
        let keys = try await pool.read { db in try DataKeys.load(db, master: old) }
        let before = try await DataKeys.state(in: pool)
        await #expect(throws: RotationRefusal.sameKey(old.fingerprint)) { try await keys.rotationStep(in: pool, to: old, limit: 10) }
        await #expect(throws: RotationRefusal.noRotation) { try await keys.finishRotation(in: pool, to: new.fingerprint) }
        #expect(try await DataKeys.state(in: pool) == before)

        _ = try await keys.rotationStep(in: pool, to: new, limit: 1)
        let third = MasterKey(.random())
        await #expect(throws: RotationRefusal.otherRotation(to: new.fingerprint)) { try await keys.rotationStep(in: pool, to: third, limit: 10) }
        await #expect(throws: RotationRefusal.notRewrapped(remaining: 2)) { try await keys.finishRotation(in: pool, to: new.fingerprint) }
        #expect(try await DataKeys.state(in: pool)
            == MasterKeyState(keyring: old.fingerprint, rotation: (old.fingerprint, new.fingerprint), remaining: 2, clientKeys: 3))
    }

    @Test func aThirdKeyOpensNothingDuringARotation() async throws {
        let (path, _) = try database("e", clients: 2)
        _ = try await step(path, with: old, limit: 1)
        let third = MasterKey(.random())
        #expect(try DataKeys.storedMasterKeys(path: path)?.accepts(third.fingerprint) == false)
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(third))
        defer { try? pool.close() }
        await #expect(throws: KeyMismatch(expected: old.fingerprint, given: third.fingerprint)) {
            try await pool.read { db in try DataKeys.load(db, master: third) }
        }
    }

    /// Several instances on one database (PostgreSQL; here two sets of keys on one file): one
    /// rotates, and another that keeps serving learns the new key from the database for the
    /// keys it makes and those it reads; one that missed the whole rotation refuses to make a
    /// key rather than wrap it under a master key the database no longer accepts.
    @Test func anotherInstanceFollowsARotationItDidNotRun() async throws {
        let (path, sealed) = try database("shared", clients: 4)
        let pool = try SQLiteFile.open(path: path, label: "test", migrator: Self.migrator(old))
        defer { try? pool.close() }
        let rotating = try await pool.read { db in try DataKeys.load(db, master: old) }
        let other = try await pool.read { db in try DataKeys.load(SQLiteTransaction(db), master: old, sharedWithOtherInstances: true) }
        let late = try await pool.read { db in try DataKeys.load(SQLiteTransaction(db), master: old, sharedWithOtherInstances: true) }
        #expect(try await rotating.rotationStep(in: pool, to: new, limit: 2).remaining == 2)

        let made = try await pool.write { db in try other.clientCipher(db, clientId: "client-new").seal("client-new", binding: binding) }
        let under = try await pool.read { db in try String.fetchOne(db, sql: "SELECT master_fingerprint FROM client_keys WHERE client_id = 'client-new'") }
        #expect(under == new.fingerprint)
        #expect(try await pool.read { db in
            try sealed.allSatisfy { client, value in try other.existingClientCipher(db, clientId: client)?.openText(value, binding: binding) == client }
        })

        #expect(try await rotating.rotationStep(in: pool, to: new, limit: 10).rewrappedAll)
        #expect(try await rotating.finishRotation(in: pool, to: new.fingerprint) == old.fingerprint)
        #expect(try readsEverything(path, with: new, sealed.merging(["client-new": made]) { $1 }))

        let keysBefore = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client_keys") }
        await #expect(throws: MasterKeyMoved(database: new.fingerprint, held: old.fingerprint)) {
            try await pool.write { db in _ = try late.clientCipher(db, clientId: "client-late") }
        }
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client_keys") } == keysBefore)
    }
}
