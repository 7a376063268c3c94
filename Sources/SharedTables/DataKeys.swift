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

    static let indexKeyBinding = FieldBinding(table: "keyring", column: "index_key", row: "1")

    static func clientKeyBinding(_ clientId: String) -> FieldBinding {
        FieldBinding(table: "client_keys", column: "key", row: clientId)
    }

    /// The keyring row for `master` with a new index key, in a database whose shell made the
    /// tables: the first step of a migration that starts encrypting (the data of the tables
    /// before it is sealed next).
    public static func createKeyring(_ transaction: some SQLTransaction, master: MasterKey) throws -> DataKeys {
        let indexKey = SecretKey.random()
        try transaction.execute("INSERT INTO keyring (id, master_fingerprint, index_key) VALUES (1, ?, ?)",
                                master.fingerprint, master.wrap(indexKey, binding: indexKeyBinding))
        return DataKeys(masters: MasterKeyRing(master), index: BlindIndex(key: indexKey))
    }

    /// The keys of a database that has its keyring, checked against `master`. While a rotation
    /// is under way (`MasterKeyRotation`) either of its two keys opens the database.
    /// `hasRotationTable`: false for a schema made before rotations were (an engine's shell knows).
    public static func load(_ transaction: some SQLTransaction, master: MasterKey, hasRotationTable: Bool = true) throws -> DataKeys {
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
        return DataKeys(masters: masters, index: BlindIndex(key: try indexKey(stored, under: try masters.key(fingerprint, stored))))
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
        let master = masters.target
        try transaction.execute("INSERT INTO client_keys (client_id, wrapped_key, master_fingerprint) VALUES (?, ?, ?)",
                                clientId, master.wrap(key, binding: Self.clientKeyBinding(clientId)), master.fingerprint)
        return FieldCipher(key: key)
    }

    /// The client's data key, or nil once it was destroyed (their data is erased).
    public func existingClientCipher(_ transaction: some SQLTransaction, clientId: String) throws -> FieldCipher? {
        guard let row = try transaction.row("SELECT wrapped_key, master_fingerprint FROM client_keys WHERE client_id = ?", clientId) else {
            return nil
        }
        return FieldCipher(key: try unwrapClientKey(StoredRow(row, table: "client_keys", key: clientId), clientId: clientId))
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
        guard let key = keys.withLockedValue({ $0.byFingerprint[fingerprint] }) else {
            throw stored.unreadable("wrapped by the master key \(fingerprint), which this daemon does not hold (\(fingerprints))")
        }
        return key
    }

    var fingerprints: String { keys.withLockedValue { $0.byFingerprint.keys.sorted().joined(separator: ", ") } }

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
