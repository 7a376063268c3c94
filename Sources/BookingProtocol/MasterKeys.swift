import Foundation

extension MessageType {
    /// Where a daemon's master key comes from and whether a rotation is under way (admins only).
    public static let masterKey = "master_key"
    /// One step of a master key rotation: bookingd and notifyd, admins only (`bookctl keys rotate-master`).
    public static let rotateMaster = "rotate_master"
    /// Ends a rotation once the new key is where the daemon loads it from.
    public static let rotateMasterFinish = "rotate_master_finish"
}

/// Re-wrap up to `limit` client keys under `key`, starting the rotation if none is under way.
public struct RotateMasterRequest: Codable, Sendable, Equatable {
    /// The new master key: 32 bytes in base64. It travels only over the admin's ipc socket.
    public var key: String
    /// Client keys per step (1…10000, default 500): each step is one short transaction.
    public var limit: Int?

    public init(key: String, limit: Int? = nil) {
        self.key = key
        self.limit = limit
    }
}

public struct RotateMasterFinishRequest: Codable, Sendable, Equatable {
    /// The new key's fingerprint, as `rotate_master.reply` gave it.
    public var fingerprint: String

    public init(fingerprint: String) {
        self.fingerprint = fingerprint
    }
}

/// Where a rotation stands (both `.reply`s): fingerprints, never keys.
public struct RotateMasterReply: Codable, Sendable, Equatable {
    public var daemon: String
    public var from: String
    public var to: String
    public var rewrapped: Int
    public var remaining: Int
    /// Every client key is under `to`; `from` still opens the database until the rotation is finished.
    public var rewrappedAll: Bool
    /// The rotation is over: `from` opens nothing any more.
    public var finished: Bool

    public init(daemon: String, from: String, to: String, rewrapped: Int, remaining: Int, rewrappedAll: Bool, finished: Bool) {
        self.daemon = daemon
        self.from = from
        self.to = to
        self.rewrapped = rewrapped
        self.remaining = remaining
        self.rewrappedAll = rewrappedAll
        self.finished = finished
    }
}

/// `master_key.reply`: fingerprints and where the key is loaded from, never the key.
public struct MasterKeyStatusReply: Codable, Sendable, Equatable {
    public var daemon: String
    /// The fingerprint of the key the daemon's keyring is under.
    public var fingerprint: String
    /// `credential` (the systemd credential `credential`) or `file` (the development key file `file`).
    public var source: String
    public var credential: String?
    public var file: String?
    public var clientKeys: Int
    /// The rotation under way, if any, and the client keys still under its old key.
    public var rotationFrom: String?
    public var rotationTo: String?
    public var remaining: Int

    public init(daemon: String, fingerprint: String, source: String, credential: String?, file: String?, clientKeys: Int,
                rotationFrom: String?, rotationTo: String?, remaining: Int) {
        self.daemon = daemon
        self.fingerprint = fingerprint
        self.source = source
        self.credential = credential
        self.file = file
        self.clientKeys = clientKeys
        self.rotationFrom = rotationFrom
        self.rotationTo = rotationTo
        self.remaining = remaining
    }
}
