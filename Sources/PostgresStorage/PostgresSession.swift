import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import StoreSQL

/// One connection, owned by one thread, which runs its statements one after another and waits
/// for each: the stores' code reads like SQLite's. A connection found dead is dropped and the
/// next use opens a new one, never reusing a connection in an unknown state.
final class PostgresSession {
    let settings: PostgresSettings
    let logger: Logger
    private let eventLoop: any EventLoop
    private var connection: PostgresConnection?
    private let id: Int

    init(settings: PostgresSettings, id: Int, eventLoop: any EventLoop, logger: Logger) {
        self.settings = settings
        self.id = id
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// Runs one statement, `?` for each argument; the server's answer, whole.
    @discardableResult
    func run(_ sql: String, _ arguments: [SQLValue]) throws(SQLFailure) -> PostgresQueryResult {
        let numbered = Placeholders.numbered(sql)
        guard numbered.count == arguments.count else {
            throw .statement(problem: "the statement has \(numbered.count) placeholders and was given \(arguments.count) arguments: \(sql)")
        }
        let connection = try connected()
        let query = PostgresQuery(unsafeSQL: numbered.sql, binds: PostgresValues.bindings(arguments))
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            let failure = PostgresFailures.failure(error)
            if case .unavailable = failure { drop() }
            throw failure
        }
    }

    /// Runs `body` between BEGIN and COMMIT; anything thrown rolls the transaction back and is
    /// thrown on. A failed COMMIT has ended the transaction on the server already.
    func transaction<Value>(_ body: (PostgresTransaction) throws -> Value) throws -> Value {
        do {
            try run("BEGIN", [])
        } catch .unavailable {
            // The connection died while idle (the server restarted): nothing was sent that
            // could have been kept, so one new connection is tried.
            try run("BEGIN", [])
        }
        let transaction = PostgresTransaction(session: self)
        do {
            let value = try body(transaction)
            try run("COMMIT", [])
            return value
        } catch {
            rollBack()
            throw error
        }
    }

    private func rollBack() {
        // A connection gone with its transaction has nothing to roll back: no new one for that.
        guard let connection, !connection.isClosed else { return drop() }
        do {
            try run("ROLLBACK", [])
        } catch {
            // A connection that cannot roll back is in no state to be used again.
            drop()
        }
    }

    private func connected() throws(SQLFailure) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        drop()
        let password: String?
        do {
            password = try settings.password()
        } catch {
            throw .unavailable(problem: "\(error)")
        }
        var configuration: PostgresConnection.Configuration
        switch settings.endpoint {
        case .unixSocket:
            configuration = .init(unixSocketPath: settings.socketPath!, username: settings.user, password: password, database: settings.database)
        case let .tcp(host, port, tls):
            let mode: PostgresConnection.Configuration.TLS
            if tls {
                do {
                    mode = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                } catch {
                    throw .unavailable(problem: "cannot set up TLS: \(error)")
                }
            } else {
                mode = .disable
            }
            configuration = .init(host: host, port: port, username: settings.user, password: password, database: settings.database, tls: mode)
        }
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = settings.startupParameters
        do {
            let connection = try PostgresConnection.connect(on: eventLoop, configuration: configuration, id: id, logger: logger).wait()
            self.connection = connection
            return connection
        } catch {
            throw .unavailable(problem: "cannot connect to \(settings): \(PostgresFailures.problem(error))")
        }
    }

    /// Closes the connection, if any; the next statement opens a new one.
    func drop() {
        guard let connection else { return }
        self.connection = nil
        try? connection.close().wait()
    }
}
