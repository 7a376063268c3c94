import Foundation

/// Where the daemons keep their data (`storage:`): SQLite files in the state directory (the
/// default, nothing more to install), or one PostgreSQL database that several hosts share.
public enum StorageConfiguration: Sendable, Equatable {
    case sqlite
    case postgresql(PostgresConnection)

    /// The `postgresql:` section as written: the URL stays text here, and each daemon that
    /// connects reads it (a URL it cannot use stops it at start, naming `postgresql.url`).
    public struct PostgresConnection: Sendable, Equatable {
        public var url: String
        /// The password's systemd credential name or file (`CredentialFile`); nil: the server asks
        /// for none (peer authentication on a Unix socket).
        public var password: String?
        /// Connections each daemon keeps to the database.
        public var connections: Int
        /// How often each availabilityd replica asks whether another one changed what they serve
        /// (`replica_check_milliseconds`): the longest a change made through one replica stays
        /// unseen by the others.
        public var replicaCheck: Duration

        public static let defaultConnections = 4
        public static let connectionLimit = 1...64
        public static let defaultReplicaCheckMilliseconds = 1000
        public static let replicaCheckLimit = 10...60_000

        public init(url: String, password: String?, connections: Int = defaultConnections,
                    replicaCheck: Duration = .milliseconds(defaultReplicaCheckMilliseconds)) {
            self.url = url
            self.password = password
            self.connections = connections
            self.replicaCheck = replicaCheck
        }

        /// The password file's path (a systemd credential if there is one of that name), for the
        /// daemon to read at each connection so a rotated password is used without a restart.
        public func passwordFile(configuration: SuiteConfiguration) -> String? {
            password.map { CredentialFile.path($0, configuration: configuration).path }
        }

        /// What the daemon connects with, made by `make` from the URL and the password file; a
        /// URL `make` refuses is reported as `postgresql.url`, in the daemon's one line at start.
        public func settings<Settings>(_ configuration: SuiteConfiguration,
                                       _ make: (_ url: String, _ passwordFile: String?) throws -> Settings) throws(ConfigurationError) -> Settings {
            do {
                return try make(url, passwordFile(configuration: configuration))
            } catch {
                throw ConfigurationError(file: configuration.file, key: "postgresql.url", problem: "\(error)")
            }
        }
    }

    static func parse(storage: String?, postgresql: RawPostgres?, file: String) throws(ConfigurationError) -> StorageConfiguration {
        switch storage ?? "sqlite" {
        case "sqlite":
            guard postgresql == nil else {
                throw ConfigurationError(file: file, key: "storage", problem: "is sqlite (the default) but the file has a `postgresql` section: say `storage: postgresql` to use it, or remove the section")
            }
            return .sqlite
        case "postgresql":
            guard let postgresql else {
                throw ConfigurationError(file: file, key: "postgresql", problem: "is missing: `storage: postgresql` needs a `postgresql` section with its `url`")
            }
            guard let url = postgresql.url?.trimmingCharacters(in: .whitespaces), !url.isEmpty else {
                throw ConfigurationError(file: file, key: "postgresql.url", problem: "is missing, e.g. postgresql://booking@/booking?host=/run/postgresql")
            }
            guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
                throw ConfigurationError(file: file, key: "postgresql.url", problem: "'\(url)' does not start with postgresql://")
            }
            if let password = postgresql.password, password.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ConfigurationError(file: file, key: "postgresql.password", problem: "is empty: name a systemd credential or a file, or leave the key out")
            }
            let connections = postgresql.connections ?? PostgresConnection.defaultConnections
            guard PostgresConnection.connectionLimit.contains(connections) else {
                throw ConfigurationError(file: file, key: "postgresql.connections",
                                         problem: "must be between \(PostgresConnection.connectionLimit.lowerBound) and \(PostgresConnection.connectionLimit.upperBound), got \(connections)")
            }
            let check = postgresql.replicaCheckMilliseconds ?? PostgresConnection.defaultReplicaCheckMilliseconds
            guard PostgresConnection.replicaCheckLimit.contains(check) else {
                throw ConfigurationError(file: file, key: "postgresql.replica_check_milliseconds",
                                         problem: "must be between \(PostgresConnection.replicaCheckLimit.lowerBound) and \(PostgresConnection.replicaCheckLimit.upperBound), got \(check)")
            }
            return .postgresql(PostgresConnection(url: url, password: postgresql.password, connections: connections, replicaCheck: .milliseconds(check)))
        case let other:
            throw ConfigurationError(file: file, key: "storage", problem: "'\(other)' is not one of sqlite, postgresql")
        }
    }
}

struct RawPostgres: Decodable {
    var url: String?
    var password: String?
    var connections: Int?
    var replicaCheckMilliseconds: Int?

    enum CodingKeys: String, CodingKey { case url, password, connections, replicaCheckMilliseconds = "replica_check_milliseconds" }
}

/// A daemon whose store is PostgreSQL asked for a copy: the database is backed up as one, by
/// `bookctl backup` running pg_dump, not daemon by daemon.
public struct BackupNotOnPostgres: Error, CustomStringConvertible {
    public var daemon: String

    public init(daemon: String) {
        self.daemon = daemon
    }

    public var description: String { "\(daemon) keeps its data in PostgreSQL, backed up as one database: run bookctl backup, which dumps it with pg_dump" }
}
