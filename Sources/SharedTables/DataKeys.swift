import FieldEncryption
import Foundation
import StoreSQL
import NIOConcurrencyHelpers

/// A daemon's keys as its database keeps them: the master key's fingerprint and the blind
/// index's key (one `keyring` row), and each client's data key (`client_keys`), every key
/// wrapped by the master key. The master key itself is never stored here. Erasing a client
/// deletes their key: whatever was sealed with it, in this file and in every copy of it, stays
/// sealed for good.
public struct DataKeys: Sendable {
    /// The master key, or the two of a rotation under way.
    let masters: MasterKeyRing
    public let index: BlindIndex
    /// Whether other processes write the same database with keys of their own (several
    /// instances on PostgreSQL): a rotation one of them runs changes the master key under this
    /// one, which then learns it from the database (`followRotation`). On SQLite the one
    /// process that writes the file runs every rotation itself.
    var sharedWithOtherInstances = false

    static let indexKeyBinding = FieldBinding(table: "keyring", column: "index_key", row: "1")

    static func clientKeyBinding(_ clientId: String) -> FieldBinding {
        FieldBinding(table: "client_keys", column: "key", row: clientId)
    }

    /// The keyring row for `master` with a new index key, in a database whose shell made the
    /// tables: the first step of a migration that starts encrypting (the data of the tables
    /// before it is sealed next).
    public static func createKeyring(_ transaction: some SQLTransaction, master: MasterKey, sharedWithOtherInstances: Bool = false) throws -> DataKeys {
        let indexKey = SecretKey.random()
        try transaction.execute("INSERT INTO keyring (id, master_fingerprint, index_key) VALUES (1, ?, ?)",
                                master.fingerprint, master.wrap(indexKey, binding: indexKeyBinding))
        return DataKeys(masters: MasterKeyRing(master), index: BlindIndex(key: indexKey), sharedWithOtherInstances: sharedWithOtherInstances)
    }

    /// The keys of a database that has its keyring, checked against `master`. While a rotation
    /// is under way (`MasterKeyRotation`) either of its two keys opens the database.
    /// `hasRotationTable`: false for a schema made before rotations were (an engine's shell knows).
    /// `sharedWithOtherInstances`: other processes write this database with their own keys.
    public static func load(_ transaction: some SQLTransaction, master: MasterKey, hasRotationTable: Bool = true,
                            sharedWithOtherInstances: Bool = false) throws -> DataKeys {
        let stored = try keyringRow(transaction)
        let fingerprint: String = try stored.value("master_fingerprint")
        let masters: MasterKeyRing
        if hasRotationTable, let rotation = try MasterKeyRotation.fetch(transaction) {
            guard let other = try rotation.partner(of: master) else {
                throw KeyMismatch(expected: fingerprint, given: master.fingerprint)
            }
            masters = MasterKeyRing(master, other, target: rotation.to)
        } else {
            guard fingerprint == master.fingerprint else {
                throw KeyMismatch(expected: fingerprint, given: master.fingerprint)
            }
            masters = MasterKeyRing(master)
        }
        return DataKeys(masters: masters, index: BlindIndex(key: try indexKey(stored, under: try masters.key(fingerprint, stored))),
                        sharedWithOtherInstances: sharedWithOtherInstances)
    }

    static func keyringRow(_ transaction: some SQLTransaction) throws -> StoredRow {
        guard let row = try transaction.row("SELECT master_fingerprint, index_key FROM keyring WHERE id = 1") else {
            throw StoreError.unreadableRow(table: "keyring", key: "1", problem: "the keyring row is missing")
        }
        return StoredRow(row, table: "keyring", key: "1")
    }

    /// The blind index's key, as the keyring row keeps it wrapped by `master`.
    static func indexKey(_ keyring: StoredRow, under master: MasterKey) throws -> SecretKey {
        do {
            return try master.unwrap(try keyring.bytes("index_key"), binding: indexKeyBinding)
        } catch let error as SealError {
            throw keyring.unreadable("index_key: \(error)")
        }
    }

    // MARK: Clients' keys

    /// The client's data key, made and stored on first use (under the rotation's new master key
    /// while one is under way, so it is never left to re-wrap).
    public func clientCipher(_ transaction: some SQLTransaction, clientId: String) throws -> FieldCipher {
        if let cipher = try existingClientCipher(transaction, clientId: clientId) { return cipher }
        return try newClientCipher(transaction, clientId: clientId)
    }

    /// Makes and stores the data key of a client who has none yet.
    public func newClientCipher(_ transaction: some SQLTransaction, clientId: String) throws -> FieldCipher {
        let key = SecretKey.random()
        guard sharedWithOtherInstances else {
            let master = masters.target
            try transaction.execute("INSERT INTO client_keys (client_id, wrapped_key, master_fingerprint) VALUES (?, ?, ?)",
                                    clientId, master.wrap(key, binding: Self.clientKeyBinding(clientId)), master.fingerprint)
            return FieldCipher(key: key)
        }
        // The key goes in only under the master key the database now takes new keys under, in
        // the same statement (no round trip more per booking); when another instance moved it,
        // the rotation is followed and the key wrapped again.
        for attempt in 1...3 {
            let master = masters.target
            let inserted = try transaction.execute("""
                INSERT INTO client_keys (client_id, wrapped_key, master_fingerprint) SELECT ?, ?, ?
                WHERE ? = COALESCE((SELECT to_fingerprint FROM key_rotation WHERE id = 1), (SELECT master_fingerprint FROM keyring WHERE id = 1))
                """, clientId, master.wrap(key, binding: Self.clientKeyBinding(clientId)), master.fingerprint, master.fingerprint)
            if inserted == 1 { return FieldCipher(key: key) }
            if attempt < 3 { try followRotation(transaction) }
        }
        throw StoreError.unreadableRow(table: "keyring", key: "1", problem: "the master key moved again each time a client's key was made")
    }

    /// The client's data key, or nil once it was destroyed (their data is erased).
    public func existingClientCipher(_ transaction: some SQLTransaction, clientId: String) throws -> FieldCipher? {
        guard let row = try transaction.row("SELECT wrapped_key, master_fingerprint FROM client_keys WHERE client_id = ?", clientId) else {
            return nil
        }
        let stored = StoredRow(row, table: "client_keys", key: clientId)
        if sharedWithOtherInstances, masters.held(try stored.value("master_fingerprint")) == nil { try followRotation(transaction) }
        return FieldCipher(key: try unwrapClientKey(stored, clientId: clientId))
    }

    /// Brings this process's master keys to where the database is: a rotation another instance
    /// started is joined (its new key opened with the old one, from `key_rotation`), so new
    /// client keys go under the new key and keys re-wrapped already are read. A rotation that
    /// started and finished without this process noticing leaves it without the key the
    /// database now needs: refused (`MasterKeyMoved`) rather than a key wrapped by a master key
    /// the database no longer accepts.
    func followRotation(_ transaction: some SQLTransaction) throws {
        guard let row = try transaction.row("""
            SELECT keyring.master_fingerprint AS keyring, key_rotation.to_fingerprint AS rotating_to
            FROM keyring LEFT JOIN key_rotation ON key_rotation.id = 1 WHERE keyring.id = 1
            """) else {
            throw StoreError.unreadableRow(table: "keyring", key: "1", problem: "the keyring row is missing")
        }
        let stored = StoredRow(row, table: "keyring", key: "1")
        let rotatingTo = try stored.value("rotating_to", as: String?.self)
        let target = try rotatingTo ?? stored.value("keyring", as: String.self)
        guard target != masters.target.fingerprint else { return }
        if let rotation = try MasterKeyRotation.fetch(transaction), rotation.to == target, let held = masters.held(rotation.from),
           let next = try rotation.partner(of: held) {
            masters.rotating(to: next)
            return
        }
        throw MasterKeyMoved(database: target, held: masters.fingerprints)
    }

    func unwrapClientKey(_ stored: StoredRow, clientId: String) throws -> SecretKey {
        let master = try masters.key(try stored.value("master_fingerprint"), stored)
        do {
            return try master.unwrap(try stored.bytes("wrapped_key"), binding: Self.clientKeyBinding(clientId))
        } catch let error as SealError {
            throw stored.unreadable("wrapped_key: \(error)")
        }
    }

    /// Destroys the client's data key (crypto-shredding); true if there was one.
    @discardableResult
    public func destroyClientKey(_ transaction: some SQLTransaction, clientId: String) throws -> Bool {
        try transaction.execute("DELETE FROM client_keys WHERE client_id = ?", clientId) > 0
    }
}

/// The master keys that open a database: the keyring's, and during a rotation both of its keys.
public struct StoredMasterKeys: Sendable, Equatable, CustomStringConvertible {
    public var keyring: String
    public var rotationFrom: String?
    public var rotationTo: String?

    public init(keyring: String, rotation: (from: String, to: String)?) {
        self.keyring = keyring
        rotationFrom = rotation?.from
        rotationTo = rotation?.to
    }

    public func accepts(_ fingerprint: String) -> Bool {
        fingerprint == keyring || fingerprint == rotationFrom || fingerprint == rotationTo
    }

    public var description: String {
        guard let rotationFrom, let rotationTo else { return "fingerprint \(keyring)" }
        return "fingerprint \(rotationFrom), or \(rotationTo) it is being rotated to"
    }
}

/// The master key, or the two of a rotation under way: the one new client keys are wrapped by
/// (`target`) and the one still wrapping those not re-wrapped yet. Shared by every copy of a
/// store's `DataKeys`, since a rotation changes it while the store serves. The suite's one lock,
/// `NIOLockedValueBox`, which ThreadSanitizer sees (docs/reliability.md).
final class MasterKeyRing: Sendable {
    private struct Keys {
        var byFingerprint: [String: MasterKey]
        var target: String
    }

    private let keys: NIOLockedValueBox<Keys>

    init(_ key: MasterKey) {
        keys = NIOLockedValueBox(Keys(byFingerprint: [key.fingerprint: key], target: key.fingerprint))
    }

    init(_ first: MasterKey, _ second: MasterKey, target: String) {
        keys = NIOLockedValueBox(Keys(byFingerprint: [first.fingerprint: first, second.fingerprint: second], target: target))
    }

    var target: MasterKey { keys.withLockedValue { $0.byFingerprint[$0.target]! } }

    func key(_ fingerprint: String, _ stored: StoredRow) throws -> MasterKey {
        guard let key = held(fingerprint) else {
            throw stored.unreadable("wrapped by the master key \(fingerprint), which this daemon does not hold (\(fingerprints))")
        }
        return key
    }

    var fingerprints: String { keys.withLockedValue { $0.byFingerprint.keys.sorted().joined(separator: ", ") } }

    func held(_ fingerprint: String) -> MasterKey? { keys.withLockedValue { $0.byFingerprint[fingerprint] } }

    /// Once the rotation's first step is committed: new keys go under `key`.
    func rotating(to key: MasterKey) {
        keys.withLockedValue {
            $0.byFingerprint[key.fingerprint] = key
            $0.target = key.fingerprint
        }
    }

    /// Once the rotation is finished: the old key is forgotten.
    func retire(_ fingerprint: String) {
        keys.withLockedValue { _ = $0.byFingerprint.removeValue(forKey: fingerprint) }
    }
}

/// Another instance rotated the master key while this one was not looking: the database now
/// wraps its keys under a key this process was not given. It must be restarted with the new key.
public struct MasterKeyMoved: Error, Sendable, Equatable, CustomStringConvertible {
    public var database: String
    public var held: String

    public init(database: String, held: String) {
        self.database = database
        self.held = held
    }

    public var description: String {
        "the database's master key is now fingerprint \(database), rotated by another instance; this one holds \(held): restart it with the new master key"
    }
}

/// The master key given is not the one the database's keys are wrapped with.
public struct KeyMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    public var expected: String
    public var given: String

    public init(expected: String, given: String) {
        self.expected = expected
        self.given = given
    }

    public var description: String {
        "the master key given (fingerprint \(given)) is not the one this database was encrypted with (fingerprint \(expected))"
    }
}
