import FieldEncryption
import Foundation
import Logging
import SQLiteStorage
import SharedTables

/// Where a daemon's master key comes from, checked against its database before anything is
/// opened to write:
/// - under systemd, the credential `<daemon>-master-key` (`LoadCredentialEncrypted=`, made with
///   `systemd-creds encrypt`), found in `$CREDENTIALS_DIRECTORY`;
/// - otherwise (development, tests) the file `<daemon>-master.key` beside the database, made
///   with a new key on the first start of a database that has none, mode 0600.
/// A key that is missing for a database that has one, or is not that database's key, is refused
/// in one line, and no file has been touched.
public struct MasterKeySource: Sendable {
    public var daemon: String
    public var databasePath: String
    public var environment: [String: String]

    public init(daemon: String, databasePath: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.daemon = daemon
        self.databasePath = databasePath
        self.environment = environment
    }

    public var credentialName: String { "\(daemon)-master-key" }

    public var developmentFile: String {
        ((databasePath as NSString).deletingLastPathComponent as NSString).appendingPathComponent("\(daemon)-master.key")
    }

    /// How the key was found, for the start-up log line.
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        case credential(path: String)
        case developmentFile(path: String)
        /// Made just now, for a database without keys.
        case newDevelopmentFile(path: String)

        public var description: String {
            switch self {
            case .credential(let path): "the systemd credential \(path)"
            case .developmentFile(let path): "the development key file \(path)"
            case .newDevelopmentFile(let path): "a new development key file \(path)"
            }
        }
    }

    public func load() throws(MasterKeyError) -> (key: MasterKey, origin: Origin) {
        let expected: StoredMasterKeys?
        do {
            expected = try DataKeys.storedMasterKeys(path: databasePath)
        } catch {
            throw MasterKeyError(problem: "\(error)")
        }
        let (key, origin) = try find(databaseHasKeys: expected != nil)
        if let expected, !expected.accepts(key.fingerprint) {
            throw MasterKeyError(problem: "the master key from \(origin) (fingerprint \(key.fingerprint)) is not the one \(databasePath) was encrypted with (\(expected)); nothing was changed")
        }
        return (key, origin)
    }

    /// The key, with the start-up line that says where it came from: a new development key is a
    /// notice, since in production the key is a credential.
    public func load(logger: Logger) throws(MasterKeyError) -> (key: MasterKey, origin: Origin) {
        let (key, origin) = try load()
        if case .newDevelopmentFile = origin {
            logger.notice("made a new master key for clients' personal data: \(origin); in production it is the systemd credential \(credentialName) (LoadCredentialEncrypted=)")
        } else {
            logger.info("master key for clients' personal data from \(origin)")
        }
        return (key, origin)
    }

    /// The `master_key`, `rotate_master` and `rotate_master_finish` requests for a key loaded from `origin`.
    public func commands(origin: Origin, state: @escaping @Sendable () async throws -> MasterKeyState, step: @escaping MasterKeyCommands.Step,
                         finish: @escaping MasterKeyCommands.Finish, logger: Logger) -> MasterKeyCommands {
        MasterKeyCommands(daemon: daemon, origin: origin, credentialName: credentialName, state: state, step: step, finish: finish, logger: logger)
    }

    private func find(databaseHasKeys: Bool) throws(MasterKeyError) -> (MasterKey, Origin) {
        if let directory = environment["CREDENTIALS_DIRECTORY"] {
            let path = (directory as NSString).appendingPathComponent(credentialName)
            if FileManager.default.fileExists(atPath: path) {
                return (try read(path), .credential(path: path))
            }
        }
        let path = developmentFile
        if FileManager.default.fileExists(atPath: path) {
            try requirePrivate(path)
            return (try read(path), .developmentFile(path: path))
        }
        guard !databaseHasKeys else {
            throw MasterKeyError(problem: "\(databasePath) is encrypted, and no master key was given: neither the credential \(credentialName) (LoadCredentialEncrypted=) nor \(path) exists; nothing was changed")
        }
        let key = SecretKey.random()
        try create(path, holding: key)
        return (MasterKey(key), .newDevelopmentFile(path: path))
    }

    private func read(_ path: String) throws(MasterKeyError) -> MasterKey {
        guard let content = FileManager.default.contents(atPath: path) else {
            throw MasterKeyError(problem: "cannot read the master key \(path)")
        }
        do {
            return MasterKey(try SecretKey(keyFile: Array(content)))
        } catch {
            throw MasterKeyError(problem: "the master key \(path): \(error)")
        }
    }

    /// A key others may read is no secret: refused, as ssh refuses such a private key.
    private func requirePrivate(_ path: String) throws(MasterKeyError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw MasterKeyError(problem: "cannot read the master key \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw MasterKeyError(problem: "the master key \(path) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); make it 0600")
        }
    }

    private func create(_ path: String, holding key: SecretKey) throws(MasterKeyError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try SQLiteFile.makeDirectory(directory.isEmpty ? "." : directory)
        } catch {
            throw MasterKeyError(problem: "cannot make \(directory) for the master key: \(error)")
        }
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw MasterKeyError(problem: "cannot create the master key \(path): \(String(cString: strerror(errno)))")
        }
        let line = Array((key.base64 + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        // The key must be on disk before the data it seals is.
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == line.count, synced else {
            unlink(path)
            throw MasterKeyError(problem: "cannot write the master key \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Why a daemon cannot have its master key: said in one line, and the daemon does not start.
public struct MasterKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String

    public var description: String { problem }
}
