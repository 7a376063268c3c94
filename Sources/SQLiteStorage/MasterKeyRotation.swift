import FieldEncryption
import Foundation
import GRDB

/// A change of master key while the daemon serves (`bookctl keys rotate-master`): every client
/// key is re-wrapped under the new key in short steps, each its own transaction, so bookings go
/// on between them. A crash at any point loses nothing, and the same command finishes it:
/// - the first step stores each key wrapped by the other (`key_rotation`), so a daemon started
///   again with either key reads every row, whichever key wraps it;
/// - new client keys are wrapped under the new key from then on;
/// - once no client key is left under the old key, the keyring moves to the new one;
/// - `finish`, sent once the new key is where the daemon loads it from, forgets the old key.
public struct MasterKeyRotation: Sendable, Equatable {
    public var from: String
    public var to: String
    var toUnderFrom: [UInt8]
    var fromUnderTo: [UInt8]

    static let toUnderFromBinding = FieldBinding(table: "key_rotation", column: "to_under_from", row: "1")
    static let fromUnderToBinding = FieldBinding(table: "key_rotation", column: "from_under_to", row: "1")

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

    static func fetch(_ db: Database) throws -> MasterKeyRotation? {
        guard try db.tableExists("key_rotation"),
              let row = try Row.fetchOne(db, sql: "SELECT * FROM key_rotation WHERE id = 1") else { return nil }
        let stored = StoredRow(row, table: "key_rotation", key: "1")
        return MasterKeyRotation(from: try stored.value("from_fingerprint"), to: try stored.value("to_fingerprint"),
                                 toUnderFrom: try stored.bytes("to_under_from"), fromUnderTo: try stored.bytes("from_under_to"))
    }

    /// The rotation's other key, opened with `key`; nil if `key` is neither of the two.
    func partner(of key: MasterKey) throws -> MasterKey? {
        do {
            if key.fingerprint == from { return try key.unwrapMaster(toUnderFrom, binding: Self.toUnderFromBinding) }
            if key.fingerprint == to { return try key.unwrapMaster(fromUnderTo, binding: Self.fromUnderToBinding) }
        } catch {
            throw StoreError.unreadableRow(table: "key_rotation", key: "1", problem: "\(error)")
        }
        return nil
    }
}

/// How far a rotation is, after a step.
public struct RotationProgress: Sendable, Equatable {
    public var from: String
    public var to: String
    /// Client keys re-wrapped by this step.
    public var rewrapped: Int
    /// Client keys still under the old key.
    public var remaining: Int
    /// Every key is under the new master key; the old one is still accepted until `finish`.
    public var rewrappedAll: Bool

    public init(from: String, to: String, rewrapped: Int, remaining: Int, rewrappedAll: Bool) {
        self.from = from
        self.to = to
        self.rewrapped = rewrapped
        self.remaining = remaining
        self.rewrappedAll = rewrappedAll
    }
}

/// The master keys of a database as they stand: what `bookctl keys status` shows.
public struct MasterKeyState: Sendable, Equatable {
    /// The fingerprint of the key that wraps the keyring.
    public var keyring: String
    /// The rotation under way, if any.
    public var rotation: (from: String, to: String)?
    /// Client keys under any other key than the rotation's new one (0 without a rotation).
    public var remaining: Int
    public var clientKeys: Int

    public init(keyring: String, rotation: (from: String, to: String)?, remaining: Int, clientKeys: Int) {
        self.keyring = keyring
        self.rotation = rotation
        self.remaining = remaining
        self.clientKeys = clientKeys
    }

    public static func == (lhs: MasterKeyState, rhs: MasterKeyState) -> Bool {
        lhs.keyring == rhs.keyring && lhs.rotation?.from == rhs.rotation?.from && lhs.rotation?.to == rhs.rotation?.to
            && lhs.remaining == rhs.remaining && lhs.clientKeys == rhs.clientKeys
    }
}

/// Why a rotation step or its finish is refused; nothing was changed.
public enum RotationRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case sameKey(String)
    /// Another rotation is under way: the one to `to` must be finished first.
    case otherRotation(to: String)
    case noRotation
    /// `finish` before every key is under the new master key.
    case notRewrapped(remaining: Int)

    public var description: String {
        switch self {
        case .sameKey(let fingerprint): "the new master key is the current one (fingerprint \(fingerprint))"
        case .otherRotation(let to): "a rotation to the master key \(to) is under way: finish it with that key first"
        case .noRotation: "no master key rotation is under way"
        case .notRewrapped(let remaining): "\(remaining) client keys are still under the old master key"
        }
    }
}

extension DataKeys {
    public static func state(in pool: DatabasePool) async throws -> MasterKeyState {
        try await pool.read { db in try state(db) }
    }

    /// One step towards `next` in its own transaction (rolled back if the request's deadline
    /// passed meanwhile), then the WAL emptied: a daemon checks its key against the main file
    /// alone before it opens the database, so the rotation's rows must be there.
    public func rotationStep(in pool: DatabasePool, to next: MasterKey, limit: Int) async throws -> RotationProgress {
        let progress = try await pool.writeBeforeDeadline { db in try self.rotationStep(db, to: next, limit: limit) }
        // Only once committed: a key made under `next` before would be lost with a rolled-back start.
        masters.rotating(to: next)
        try SQLiteFile.emptyWAL(pool)
        return progress
    }

    /// Ends the rotation to `fingerprint` (see `finishRotation(_:to:)`), then empties the WAL,
    /// which still holds the keys as the old master key wrapped them.
    public func finishRotation(in pool: DatabasePool, to fingerprint: String) async throws -> String? {
        let retired = try await pool.writeBeforeDeadline { db in try self.finishRotation(db, to: fingerprint) }
        if let retired { masters.retire(retired) }
        try SQLiteFile.emptyWAL(pool)
        return retired
    }

    /// Client keys under any master key but `fingerprint`.
    static func keysLeft(_ db: Database, notUnder fingerprint: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM client_keys WHERE master_fingerprint <> ?", arguments: [fingerprint]) ?? 0
    }

    static func state(_ db: Database) throws -> MasterKeyState {
        let keyring = try String.fetchOne(db, sql: "SELECT master_fingerprint FROM keyring WHERE id = 1") ?? ""
        let rotation = try MasterKeyRotation.fetch(db)
        let clientKeys = try Int.fetchOne(db, sql: "SELECT count(*) FROM client_keys") ?? 0
        let remaining = try rotation.map { try keysLeft(db, notUnder: $0.to) } ?? 0
        return MasterKeyState(keyring: keyring, rotation: rotation.map { ($0.from, $0.to) }, remaining: remaining, clientKeys: clientKeys)
    }

    /// One step towards `next`, in the caller's write transaction: starts the rotation if none
    /// is under way, re-wraps up to `limit` client keys, and moves the keyring once none is left.
    func rotationStep(_ db: Database, to next: MasterKey, limit: Int) throws -> RotationProgress {
        let keyring = try Self.keyringRow(db)
        let keyringFingerprint: String = try keyring.value("master_fingerprint")
        let from: String
        if let rotation = try MasterKeyRotation.fetch(db) {
            guard rotation.to == next.fingerprint else { throw RotationRefusal.otherRotation(to: rotation.to) }
            from = rotation.from
        } else {
            guard keyringFingerprint != next.fingerprint else { throw RotationRefusal.sameKey(keyringFingerprint) }
            let current = masters.target
            try db.execute(
                sql: "INSERT INTO key_rotation (id, from_fingerprint, to_fingerprint, to_under_from, from_under_to) VALUES (1, ?, ?, ?, ?)",
                arguments: [current.fingerprint, next.fingerprint, Data(current.wrap(next, binding: MasterKeyRotation.toUnderFromBinding)),
                            Data(next.wrap(current, binding: MasterKeyRotation.fromUnderToBinding))]
            )
            from = current.fingerprint
        }
        let rows = try Row.fetchAll(db, sql: """
            SELECT client_id, wrapped_key, master_fingerprint FROM client_keys WHERE master_fingerprint <> ? LIMIT ?
            """, arguments: [next.fingerprint, limit])
        for row in rows {
            let clientId: String = row["client_id"]
            let key = try unwrapClientKey(StoredRow(row, table: "client_keys", key: clientId), clientId: clientId)
            try db.execute(sql: "UPDATE client_keys SET wrapped_key = ?, master_fingerprint = ? WHERE client_id = ?",
                           arguments: [Data(next.wrap(key, binding: Self.clientKeyBinding(clientId))), next.fingerprint, clientId])
        }
        let remaining = try Self.keysLeft(db, notUnder: next.fingerprint)
        if remaining == 0 && keyringFingerprint != next.fingerprint {
            let indexKey = try Self.indexKey(keyring, under: try masters.key(keyringFingerprint, keyring))
            try db.execute(sql: "UPDATE keyring SET master_fingerprint = ?, index_key = ? WHERE id = 1",
                           arguments: [next.fingerprint, Data(next.wrap(indexKey, binding: Self.indexKeyBinding))])
        }
        return RotationProgress(from: from, to: next.fingerprint, rewrapped: rows.count, remaining: remaining, rewrappedAll: remaining == 0)
    }

    /// Ends the rotation to `fingerprint` once every key is under it: the old master key no
    /// longer opens anything. Returns the old key's fingerprint (nil: that rotation was finished
    /// before, as a repeat after a lost answer finds it).
    func finishRotation(_ db: Database, to fingerprint: String) throws -> String? {
        guard let rotation = try MasterKeyRotation.fetch(db) else {
            let keyring = try String.fetchOne(db, sql: "SELECT master_fingerprint FROM keyring WHERE id = 1")
            if keyring == fingerprint { return nil }
            throw RotationRefusal.noRotation
        }
        guard rotation.to == fingerprint else { throw RotationRefusal.otherRotation(to: rotation.to) }
        let remaining = try Self.keysLeft(db, notUnder: fingerprint)
        let keyring = try String.fetchOne(db, sql: "SELECT master_fingerprint FROM keyring WHERE id = 1")
        guard remaining == 0, keyring == fingerprint else { throw RotationRefusal.notRewrapped(remaining: remaining) }
        try db.execute(sql: "DELETE FROM key_rotation")
        return rotation.from
    }
}
