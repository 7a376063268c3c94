import Foundation

/// A whole-database backup in PostgreSQL's own format: `pg_dump --format=custom` takes it from one
/// snapshot (every schema as of one instant), `pg_restore --list` checks it, and `pg_restore`
/// puts it into an empty database. The programs are Debian's PostgreSQL 15 client programs.
public enum PostgresDump {
    public static let debianBinaries = "/usr/lib/postgresql/15/bin"

    /// `name` (pg_dump, pg_restore) from Debian's PostgreSQL 15, else the first on `PATH`.
    public static func program(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) throws(PostgresDumpError) -> String {
        let candidates = ["\(debianBinaries)/\(name)"] + (path ?? "").split(separator: ":").map { "\($0)/\(name)" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw .programMissing(name: name, looked: debianBinaries)
        }
        return found
    }

    /// Dumps the whole database `settings` names into `file` (which must not exist).
    public static func dump(_ settings: PostgresSettings, to file: String) throws(PostgresDumpError) {
        let connection = PostgresClientConnection(settings)
        _ = try run(program("pg_dump"), ["--format=custom", "--file=\(file)"] + connection.arguments, connection: connection, password: settings)
    }

    /// What `file` holds, read by `pg_restore --list`: a damaged or truncated dump fails here.
    public static func contents(of file: String) throws(PostgresDumpError) -> PostgresDumpContents {
        let list = try run(program("pg_restore"), ["--list", file], connection: nil, password: nil)
        return PostgresDumpContents(list: list)
    }

    /// Restores `file` into the database `settings` names, all of it or nothing: one transaction
    /// that stops at the first error. Objects belong to the user restoring (`--no-owner`), with
    /// no grants (`--no-privileges`): the roles the old server granted to may not exist on the
    /// new one, and a restore that fails on a grant would leave the suite without its data.
    public static func restore(_ file: String, into settings: PostgresSettings) throws(PostgresDumpError) {
        let connection = PostgresClientConnection(settings)
        _ = try run(program("pg_restore"), ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"] + connection.arguments + [file],
                    connection: connection, password: settings)
    }

    /// Which of `names` are schemas in the database `settings` names: a restore goes only where
    /// none is.
    public static func existingSchemas(_ names: [String], in settings: PostgresSettings) async throws -> [String] {
        let pool = PostgresPool(settings: settings, connections: 1)
        do {
            let found = try await pool.withoutTransaction { transaction in
                try transaction.rows("SELECT nspname::text AS name FROM pg_namespace ORDER BY 1", []).compactMap { row -> String? in
                    guard case let .text(name)? = row["name"], names.contains(name) else { return nil }
                    return name
                }
            }
            await pool.close()
            return found
        } catch {
            await pool.close()
            throw error
        }
    }

    /// Runs `program` and returns its standard output. The password, if any, reaches it through a
    /// password file of its own (0600, in a 0700 directory, removed after), never its arguments.
    private static func run(_ program: String, _ arguments: [String], connection: PostgresClientConnection?,
                            password settings: PostgresSettings?) throws(PostgresDumpError) -> String {
        let name = (program as NSString).lastPathComponent
        let scratch: String
        do {
            scratch = try makePrivateDirectory()
        } catch {
            throw .failed(program: name, output: "cannot make a private temporary directory: \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in connection?.environment ?? [:] { environment[key] = value }
        do {
            if let password = try settings?.password() {
                let passwordFile = scratch + "/pgpass"
                guard FileManager.default.createFile(atPath: passwordFile, contents: Data(PostgresClientConnection.passwordFileLine(password).utf8),
                                                     attributes: [.posixPermissions: 0o600]) else {
                    throw PostgresDumpError.failed(program: name, output: "cannot write its password file in \(scratch)")
                }
                environment["PGPASSFILE"] = passwordFile
                environment["PGPASSWORD"] = nil
            }
        } catch let error as PostgresDumpError {
            throw error
        } catch {
            throw .failed(program: name, output: "\(error)")
        }
        let errors = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: errors)
        do {
            try process.run()
        } catch {
            throw .failed(program: name, output: "cannot start \(program): \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // Through a handle: Foundation's whole-file readers leak their buffer for an empty file,
        // which the error output mostly is (LeakSanitizer failed the sanitizer run).
        let handle = FileHandle(forReadingAtPath: errors)
        let message = (try? handle?.readToEnd()).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        try? handle?.close()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .failed(program: name, output: message.isEmpty ? "exit status \(process.terminationStatus)" : message)
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func makePrivateDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/booking-pgdump-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return String(cString: made)
    }
}

/// How a PostgreSQL client program reaches the database a `PostgresSettings` names: its
/// arguments and its environment. Neither ever holds the password.
public struct PostgresClientConnection: Sendable, Equatable {
    public var arguments: [String]
    public var environment: [String: String]

    public init(_ settings: PostgresSettings) {
        switch settings.endpoint {
        case let .unixSocket(directory, port):
            arguments = ["--host=\(directory)", "--port=\(port)"]
            environment = [:]
        case let .tcp(host, port, tls):
            arguments = ["--host=\(host)", "--port=\(port)"]
            // The daemons verify the server's certificate and name; a backup does no less.
            environment = ["PGSSLMODE": tls ? "verify-full" : "disable"]
        }
        // As a connection string, so a database name with `=` in it is not read as one.
        arguments += ["--username=\(settings.user)", "--dbname=dbname=\(Self.quoted(settings.database))"]
    }

    /// One line of a libpq password file that matches any server: `:` and `\` in the password escaped.
    static func passwordFileLine(_ password: String) -> String {
        "*:*:*:*:" + password.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ":", with: "\\:") + "\n"
    }

    /// A value of a libpq connection string: in single quotes, with `'` and `\` escaped.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}

/// What a custom-format dump holds, as `pg_restore --list` tells it.
public struct PostgresDumpContents: Sendable, Equatable {
    /// The server's version the dump was taken from (`Dumped from database version`).
    public var serverVersion: String?
    /// The schemas the dump creates, sorted.
    public var schemas: [String]

    public init(serverVersion: String?, schemas: [String]) {
        self.serverVersion = serverVersion
        self.schemas = schemas
    }

    /// Reads `pg_restore --list` output: its header's comment lines, and one line per entry such
    /// as `5; 2615 16386 SCHEMA - bookingd postgres`.
    public init(list: String) {
        var version: String?
        var schemas: [String] = []
        for line in list.split(separator: "\n") {
            if line.hasPrefix(";") {
                if let range = line.range(of: "Dumped from database version:") {
                    version = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                }
                continue
            }
            let fields = line.split(separator: " ")
            if let kind = fields.firstIndex(of: "SCHEMA"), fields.count > kind + 2, fields[kind + 1] == "-" {
                schemas.append(String(fields[kind + 2]))
            }
        }
        self.init(serverVersion: version, schemas: schemas.sorted())
    }
}

public enum PostgresDumpError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither Debian's PostgreSQL 15 nor `PATH` has the program.
    case programMissing(name: String, looked: String)
    /// The program ran and failed; `output` is what it said.
    case failed(program: String, output: String)

    public var description: String {
        switch self {
        case let .programMissing(name, looked):
            "\(name) is not installed (looked in \(looked) and PATH): install Debian's postgresql-client-15"
        case let .failed(program, output): "\(program) failed: \(output)"
        }
    }
}
