import Foundation

/// Where a daemon's PostgreSQL database is and who it is there: read from a connection URL in
/// libpq's form and a password file (the systemd credential the password arrives as).
///
/// - `postgresql://booking@/booking?host=/run/postgresql`: the Unix socket in that directory
///   (`port=` names its file, 5432 by default).
/// - `postgresql://booking@db1.example:5432/booking`: TCP, with TLS required unless
///   `sslmode=disable` says otherwise.
///
/// A password written in the URL is refused: URLs end up in configuration files and logs.
public struct PostgresSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        /// The server's socket file is `directory/.s.PGSQL.port`.
        case unixSocket(directory: String, port: Int)
        case tcp(host: String, port: Int, tls: Bool)
    }

    public var endpoint: Endpoint
    public var user: String
    public var database: String
    /// The file holding the password, read at each connection so a rotated credential is used
    /// without a restart; nil: the server does not ask (peer or trust authentication).
    public var passwordFile: String?
    /// The PostgreSQL schema the daemon's tables live in (its `search_path`), one per daemon so
    /// several share a database; the migrator makes it. nil: the server's default (`public`).
    public var schema: String? {
        didSet { precondition(schema.map(Self.isPlainName) ?? true, "a schema is a plain lowercase name") }
    }
    /// How long one statement may run before the server cancels it (`statement_timeout`): a
    /// statement stuck behind a lock fails as a statement would, instead of holding a
    /// connection of the pool for good.
    public var statementTimeout: Duration = Self.defaultStatementTimeout

    public static let defaultStatementTimeout: Duration = .seconds(30)

    public init(endpoint: Endpoint, user: String, database: String, passwordFile: String?) {
        self.endpoint = endpoint
        self.user = user
        self.database = database
        self.passwordFile = passwordFile
    }

    /// A name that needs no quoting in SQL: lowercase letters, digits and `_`, not starting with a digit.
    public static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first), name.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The same settings with the daemon's tables in `schema`.
    public func schema(_ name: String) -> PostgresSettings {
        var settings = self
        settings.schema = name
        return settings
    }

    /// What each connection sets when it starts: the schema and the statement timeout.
    var startupParameters: [(String, String)] {
        var parameters = [("statement_timeout", "\(statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000)")]
        if let schema { parameters.append(("search_path", schema)) }
        return parameters
    }

    public static let defaultPort = 5432

    public init(url: String, passwordFile: String?) throws(PostgresStorageError) {
        func refuse(_ problem: String) -> PostgresStorageError { .badURL(url: Self.redacted(url), problem: problem) }
        let scheme = ["postgresql://", "postgres://"].first { url.hasPrefix($0) }
        guard let scheme else { throw refuse("it must start with postgresql://") }
        var rest = Substring(url.dropFirst(scheme.count))
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw refuse("it names no database (…/DATABASE)") }
        let authority = rest[..<slash]
        guard let database = Self.decoded(rest[rest.index(after: slash)...]), !database.isEmpty else {
            throw refuse("it names no database (…/DATABASE)")
        }
        guard let at = authority.lastIndex(of: "@") else { throw refuse("it names no user (postgresql://USER@…)") }
        let userInfo = authority[..<at]
        guard !userInfo.contains(":") else {
            throw refuse("it holds a password: put the password in a file (a systemd credential) and name that file instead")
        }
        guard let user = Self.decoded(userInfo), !user.isEmpty else { throw refuse("it names no user (postgresql://USER@…)") }
        var host = String(authority[authority.index(after: at)...])
        var port: Int?
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else {
                throw refuse("its port is not a number from 1 to 65535")
            }
            port = number
            host = String(host[..<colon])
        }
        var tls: Bool?
        for parameter in query.split(separator: "&") where !parameter.isEmpty {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let value = Self.decoded(pair[1]) else { throw refuse("the parameter \(parameter) is not NAME=VALUE") }
            switch pair[0] {
            case "host": host = value
            case "port":
                guard let number = Int(value), (1...65535).contains(number) else { throw refuse("its port is not a number from 1 to 65535") }
                port = number
            case "sslmode":
                switch value {
                case "disable": tls = false
                case "require", "verify-full": tls = true
                default: throw refuse("sslmode must be disable or require (which verifies the server's certificate and name)")
                }
            default: throw refuse("the parameter \(pair[0]) is not one of host, port, sslmode")
            }
        }
        if host.hasPrefix("/") {
            guard tls != true else { throw refuse("TLS is for TCP; a Unix socket is local") }
            endpoint = .unixSocket(directory: host, port: port ?? Self.defaultPort)
        } else if host.isEmpty {
            throw refuse("it names no host: a name or address, or host=/DIRECTORY for a Unix socket")
        } else {
            endpoint = .tcp(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port ?? Self.defaultPort, tls: tls ?? true)
        }
        self.user = user
        self.database = database
        self.passwordFile = passwordFile
    }

    /// The password, read now; nil when there is no password file.
    public func password() throws(PostgresStorageError) -> String? {
        guard let passwordFile else { return nil }
        guard let data = FileManager.default.contents(atPath: passwordFile), let text = String(data: data, encoding: .utf8) else {
            throw .unreadablePasswordFile(path: passwordFile)
        }
        // A file written by `echo` or an editor ends with a newline that is not part of the password.
        return String(text.trimmingCharacters(in: .newlines))
    }

    /// The socket file's path, for a Unix socket.
    public var socketPath: String? {
        guard case let .unixSocket(directory, port) = endpoint else { return nil }
        return (directory as NSString).appendingPathComponent(".s.PGSQL.\(port)")
    }

    /// The URL it was read from, in its plain form (it never holds a password).
    public var description: String {
        switch endpoint {
        case let .unixSocket(directory, port):
            "postgresql://\(user)@/\(database)?host=\(directory)\(port == Self.defaultPort ? "" : "&port=\(port)")"
        case let .tcp(host, port, tls):
            "postgresql://\(user)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)\(tls ? "" : "?sslmode=disable")"
        }
    }

    /// The same settings for another database on the same server.
    public func database(_ name: String) -> PostgresSettings {
        var settings = self
        settings.database = name
        return settings
    }

    private static func decoded(_ part: Substring) -> String? {
        String(part).removingPercentEncoding
    }

    /// A URL as an error may show it: whatever stood between `://` and `@` is hidden.
    private static func redacted(_ url: String) -> String {
        guard let start = url.range(of: "://"), let at = url[start.upperBound...].lastIndex(of: "@"),
              url[start.upperBound..<at].contains(":") else { return url }
        return url[..<start.upperBound] + "…" + url[at...]
    }
}
