import FieldEncryption
import Foundation
import StoreSQL

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

    /// The rotation under way, if any.
    public static func fetch(_ transaction: some SQLTransaction) throws -> MasterKeyRotation? {
        guard let row = try transaction.row("SELECT * FROM key_rotation WHERE id = 1") else { return nil }
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
    /// Once a step's transaction committed: new client keys go under `next` (not before, or a
    /// key made under `next` would be lost with a rolled-back start).
    public func rotationStepCommitted(to next: MasterKey) {
        masters.rotating(to: next)
    }

    /// Once the finish's transaction committed: the old key is forgotten.
    public func rotationFinished(retiring fingerprint: String) {
        masters.retire(fingerprint)
    }

    /// Client keys under any master key but `fingerprint`.
    static func keysLeft(_ transaction: some SQLTransaction, notUnder fingerprint: String) throws -> Int {
        try count(transaction, "SELECT COUNT(*) AS n FROM client_keys WHERE master_fingerprint <> ?", fingerprint)
    }

    private static func count(_ transaction: some SQLTransaction, _ sql: String, _ arguments: SQLValueConvertible...) throws -> Int {
        guard let row = try transaction.row(sql, arguments.map(\.sqlValue)) else { return 0 }
        return try StoredRow(row, table: "client_keys", key: "count").value("n")
    }

    private static func keyringFingerprint(_ transaction: some SQLTransaction) throws -> String? {
        try transaction.row("SELECT master_fingerprint FROM keyring WHERE id = 1").map { row in
            try StoredRow(row, table: "keyring", key: "1").value("master_fingerprint")
        }
    }

    public static func state(_ transaction: some SQLTransaction) throws -> MasterKeyState {
        let keyring = try keyringFingerprint(transaction) ?? ""
        let rotation = try MasterKeyRotation.fetch(transaction)
        let clientKeys = try count(transaction, "SELECT COUNT(*) AS n FROM client_keys")
        let remaining = try rotation.map { try keysLeft(transaction, notUnder: $0.to) } ?? 0
        return MasterKeyState(keyring: keyring, rotation: rotation.map { ($0.from, $0.to) }, remaining: remaining, clientKeys: clientKeys)
    }

    /// One step towards `next`, in the caller's write transaction: starts the rotation if none
    /// is under way, re-wraps up to `limit` client keys, and moves the keyring once none is left.
    public func rotationStep(_ transaction: some SQLTransaction, to next: MasterKey, limit: Int) throws -> RotationProgress {
        let keyring = try Self.keyringRow(transaction)
        let keyringFingerprint: String = try keyring.value("master_fingerprint")
        let from: String
        if let rotation = try MasterKeyRotation.fetch(transaction) {
            guard rotation.to == next.fingerprint else { throw RotationRefusal.otherRotation(to: rotation.to) }
            from = rotation.from
        } else {
            guard keyringFingerprint != next.fingerprint else { throw RotationRefusal.sameKey(keyringFingerprint) }
            let current = masters.target
            try transaction.execute(
                "INSERT INTO key_rotation (id, from_fingerprint, to_fingerprint, to_under_from, from_under_to) VALUES (1, ?, ?, ?, ?)",
                current.fingerprint, next.fingerprint, current.wrap(next, binding: MasterKeyRotation.toUnderFromBinding),
                next.wrap(current, binding: MasterKeyRotation.fromUnderToBinding)
            )
            from = current.fingerprint
        }
        let rows = try transaction.rows("""
            SELECT client_id, wrapped_key, master_fingerprint FROM client_keys WHERE master_fingerprint <> ? LIMIT ?
            """, next.fingerprint, limit)
        for row in rows {
            let stored = StoredRow(row, table: "client_keys", keyColumn: "client_id")
            let clientId: String = try stored.value("client_id")
            let key = try unwrapClientKey(stored, clientId: clientId)
            try transaction.execute("UPDATE client_keys SET wrapped_key = ?, master_fingerprint = ? WHERE client_id = ?",
                                    next.wrap(key, binding: Self.clientKeyBinding(clientId)), next.fingerprint, clientId)
        }
        let remaining = try Self.keysLeft(transaction, notUnder: next.fingerprint)
        if remaining == 0 && keyringFingerprint != next.fingerprint {
            let indexKey = try Self.indexKey(keyring, under: try masters.key(keyringFingerprint, keyring))
            try transaction.execute("UPDATE keyring SET master_fingerprint = ?, index_key = ? WHERE id = 1",
                                    next.fingerprint, next.wrap(indexKey, binding: Self.indexKeyBinding))
        }
        return RotationProgress(from: from, to: next.fingerprint, rewrapped: rows.count, remaining: remaining, rewrappedAll: remaining == 0)
    }

    /// Ends the rotation to `fingerprint` once every key is under it: the old master key no
    /// longer opens anything. Returns the old key's fingerprint (nil: that rotation was finished
    /// before, as a repeat after a lost answer finds it).
    public func finishRotation(_ transaction: some SQLTransaction, to fingerprint: String) throws -> String? {
        guard let rotation = try MasterKeyRotation.fetch(transaction) else {
            if try Self.keyringFingerprint(transaction) == fingerprint { return nil }
            throw RotationRefusal.noRotation
        }
        guard rotation.to == fingerprint else { throw RotationRefusal.otherRotation(to: rotation.to) }
        let remaining = try Self.keysLeft(transaction, notUnder: fingerprint)
        let keyring = try Self.keyringFingerprint(transaction)
        guard remaining == 0, keyring == fingerprint else { throw RotationRefusal.notRewrapped(remaining: remaining) }
        try transaction.execute("DELETE FROM key_rotation")
        return rotation.from
    }
}
