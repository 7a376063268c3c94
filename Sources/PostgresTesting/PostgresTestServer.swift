import Foundation
import NIOConcurrencyHelpers
import PostgresStorage
import StoreSQL

/// A real PostgreSQL 15 server from Debian's packages, made for the tests: `initdb` in a
/// temporary directory, listening only on a Unix socket there (and, for a test of several
/// hosts, on TCP in a network namespace: `start(in:)`), fsync on, password authentication (the
/// password in a file, as the daemons read theirs). As root it runs as
/// Debian's unprivileged `postgres` user, since PostgreSQL refuses to run as root.
///
/// A watcher process stops the server and removes its directory when the test process ends,
/// however it ends: its standard input is a pipe only this process holds.
public final class PostgresTestServer: Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    public static let superuser = "postgres"

    /// Holds the data directory (`data`), the socket, the password file and the server's log.
    public let directory: String
    /// The server's `postgres` database, as its superuser.
    public let settings: PostgresSettings
    private let watcher: pid_t
    /// The write end of the watcher's standard input; -1 once closed.
    private let watcherInput: NIOLockedValueBox<Int32>
    private let administration: PostgresPool
    private let databases = NIOLockedValueBox(0)

    /// One server for the whole test process, started on first use; each test takes a
    /// database of its own from it (`makeDatabase`), so tests run side by side.
    public static var shared: PostgresTestServer {
        get async throws { try await sharedServer.value.get() }
    }

    private static let sharedServer = Task { () -> Result<PostgresTestServer, any Error> in
        do {
            let server = try await PostgresTestServer.start()
            sharedForExit.withLockedValue { $0 = server }
            // Stopped before the process ends so no postgres outlives `swift test`; the
            // watcher covers a crash.
            atexit { PostgresTestServer.sharedForExit.withLockedValue { $0 }?.stopForGood() }
            return .success(server)
        } catch {
            return .failure(error)
        }
    }
    private static let sharedForExit = NIOLockedValueBox<PostgresTestServer?>(nil)

    /// A server of the caller's own, for a test that stops and restarts it.
    public static func start() async throws -> PostgresTestServer {
        try await onThread { try PostgresTestServer(network: nil) }
    }

    /// Where a server on another "host" listens, besides its Unix socket: a network namespace
    /// the test made, an address there, and the clients it lets in with a password.
    public struct Network: Sendable {
        /// Its name for `ip netns exec`.
        public var namespace: String
        public var address: String
        /// The clients' addresses, as CIDR (`10.232.7.0/24`).
        public var clients: String

        public init(namespace: String, address: String, clients: String) {
            self.namespace = namespace
            self.address = address
            self.clients = clients
        }
    }

    /// The network this server listens on besides its socket; nil: only the socket.
    public let network: Network?

    /// A server of the caller's own in `network`'s namespace, listening on TCP there (without
    /// TLS: the test's link is its own) and on its Unix socket, which the test process reaches
    /// from any namespace.
    public static func start(in network: Network) async throws -> PostgresTestServer {
        try await onThread { try PostgresTestServer(network: network) }
    }

    /// `database` (one of `makeDatabase`'s) reached over TCP on the network's address, as a
    /// daemon on another host reaches it.
    public func overTCP(_ database: PostgresSettings) -> PostgresSettings? {
        guard let network else { return nil }
        var settings = database
        settings.endpoint = .tcp(host: network.address, port: PostgresSettings.defaultPort, tls: false)
        return settings
    }

    private init(network: Network?) throws {
        self.network = network
        guard FileManager.default.isExecutableFile(atPath: "\(Self.binaries)/initdb") else {
            throw PostgresTestServerError.notInstalled(Self.binaries)
        }
        directory = try Self.temporaryDirectory()
        let passwordFile = "\(directory)/password"
        let password = (0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }
        _ = FileManager.default.createFile(atPath: passwordFile, contents: Data(String(password).utf8), attributes: [.posixPermissions: 0o600])
        try Self.giveToServerUser(directory)
        try Self.giveToServerUser(passwordFile)

        // Started first, so nothing made below can outlive this process. The pipe's write end
        // is close-on-exec: no other child (the server least of all) may hold it open. The
        // removal is tried again while an orphaned initdb may still be writing there.
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else { throw PostgresTestServerError.failed(command: "pipe2", output: String(cString: strerror(errno))) }
        let stop = Self.asServerUser(["\(Self.binaries)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "stop"]).map(Self.quoted).joined(separator: " ")
        watcher = try ChildProcess.spawn(["/bin/sh", "-c", "cat >/dev/null; \(stop) >/dev/null 2>&1; for try in 1 2 3 4 5; do rm -rf \(Self.quoted(directory)) 2>/dev/null && break; sleep 1; done"],
                                         in: "/", input: ends[0], log: "/dev/null")
        close(ends[0])
        watcherInput = NIOLockedValueBox(ends[1])

        try Self.run(["\(Self.binaries)/initdb", "-D", "\(directory)/data", "-U", Self.superuser, "--auth=scram-sha-256", "--pwfile=\(passwordFile)",
                      "-E", "UTF8", "--locale=C"], in: directory)
        let listen = network.map { "# and TCP in the namespace \($0.namespace)\nlisten_addresses = '\($0.address)'" }
            ?? "# and nothing on the network.\nlisten_addresses = ''"
        let configuration = """

            # PostgresTestServer: a Unix socket in its own directory
            \(listen)
            unix_socket_directories = '\(directory)'
            fsync = on
            synchronous_commit = on
            # Deadlocks are what the tests provoke: found in a tenth of a second, not a second.
            deadlock_timeout = '100ms'
            max_connections = 300

            """
        try Self.append(configuration, to: "\(directory)/data/postgresql.conf")
        if let network {
            try Self.append("host all all \(network.clients) scram-sha-256\n", to: "\(directory)/data/pg_hba.conf")
        }
        settings = PostgresSettings(endpoint: .unixSocket(directory: directory, port: PostgresSettings.defaultPort), user: Self.superuser,
                                    database: "postgres", passwordFile: passwordFile)
        administration = PostgresPool(settings: settings, connections: 1)
        try Self.run(startCommand, in: directory, namespace: network?.namespace)
    }

    /// A new, empty database on this server, named uniquely; its settings are the superuser's.
    public func makeDatabase() async throws -> PostgresSettings {
        let name = "test_\(databases.withLockedValue { $0 += 1; return $0 })"
        try await administration.withoutTransaction { try $0.execute("CREATE DATABASE \(name)", []) }
        return settings.database(name)
    }

    /// Starts the server again after `stopServer`, waiting until it takes connections.
    public func startServer() async throws {
        let (command, directory, namespace) = (startCommand, directory, network?.namespace)
        try await Self.onThread { try Self.run(command, in: directory, namespace: namespace) }
    }

    /// Stops the server as an operator would (`pg_ctl stop -m fast`): open connections are ended.
    public func stopServer() async throws {
        let directory = directory
        try await Self.onThread { try Self.run(["\(Self.binaries)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "stop"], in: directory) }
    }

    private var startCommand: [String] {
        ["\(Self.binaries)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60", "start"]
    }

    /// Stops the server for good and removes its directory; waits for both.
    public func stopForGood() {
        let input = watcherInput.withLockedValue { input in
            defer { input = -1 }
            return input
        }
        guard input >= 0 else { return }
        close(input)
        _ = try? ChildProcess.wait(watcher)
    }

    deinit { stopForGood() }

    // MARK: processes

    private static var isRoot: Bool { geteuid() == 0 }

    private static func asServerUser(_ arguments: [String]) -> [String] {
        isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
    }

    private static func giveToServerUser(_ path: String) throws {
        guard isRoot else { return }
        guard let user = getpwnam("postgres") else { throw PostgresTestServerError.noServerUser }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw PostgresTestServerError.failed(command: "chown \(path)", output: String(cString: strerror(errno)))
        }
    }

    /// Runs a server program as the server's user, waiting for it; its output is the error's.
    /// `namespace`: the network namespace it runs in (and the server it starts).
    private static func run(_ arguments: [String], in directory: String, namespace: String? = nil) throws {
        let log = "\(directory)/commands.log"
        let inNamespace = namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? []
        let status = try ChildProcess.run(inNamespace + asServerUser(arguments), in: directory, log: log)
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let serverLog = (try? String(contentsOfFile: "\(directory)/server.log", encoding: .utf8)) ?? ""
            throw PostgresTestServerError.failed(command: arguments.joined(separator: " ") + " (exit \(status))", output: output + serverLog)
        }
    }

    private static func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    private static func quoted(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func temporaryDirectory() throws -> String {
        // Short, so the socket's path stays within the 107 bytes a Unix socket's name may have.
        var template = Array("/tmp/postgres-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw PostgresTestServerError.failed(command: "mkdtemp", output: String(cString: strerror(errno)))
        }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Blocking work (initdb takes seconds) on a thread of its own, off Swift's cooperative pool.
    private static func onThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}

public enum PostgresTestServerError: Error, CustomStringConvertible {
    case notInstalled(String)
    case noServerUser
    case failed(command: String, output: String)

    public var description: String {
        switch self {
        case let .notInstalled(path): "PostgreSQL 15 is not installed in \(path): run script/bootstrap (Debian's postgresql-15)"
        case .noServerUser: "there is no postgres user to run the server as (Debian's postgresql-15 makes it)"
        case let .failed(command, output): "\(command) failed: \(output)"
        }
    }
}
