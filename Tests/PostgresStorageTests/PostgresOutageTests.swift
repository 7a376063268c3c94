import Foundation
import PostgresStorage
import PostgresTesting
import StoreSQL
import Testing

/// The server going away under the pool, and coming back. A server of the test's own, since
/// it is stopped.
struct PostgresOutageTests {
    @Test func aStoppedServerIsUnavailableAndThePoolConnectsAgainAfterARestart() async throws {
        let server = try await PostgresTestServer.start()
        defer { server.stopForGood() }
        let pool = PostgresPool(settings: server.settings, connections: 1)
        try await pool.transaction { try $0.execute("CREATE TABLE things (id bigint)", []) }

        // Stopped while a transaction is open on the connection.
        let inside = Gate()
        let stopped = Gate()
        async let interrupted = failure(pool) { transaction in
            try transaction.execute("INSERT INTO things VALUES (1)", [])
            inside.open()
            _ = stopped.waitBlocking()
            try transaction.execute("INSERT INTO things VALUES (2)", [])
        }
        try await inside.wait()
        try await server.stopServer()
        stopped.open()
        guard case .unavailable = try await interrupted else { Issue.record("interrupted: \(String(describing: try await interrupted))"); return }

        // While it is down, a transaction cannot connect.
        let down = try await failure(pool) { try $0.execute("SELECT 1", []) }
        guard case let .unavailable(problem) = down else { Issue.record("down: \(String(describing: down))"); return }
        #expect(problem.contains("cannot connect"))

        try await server.startServer()
        try await pool.transaction { try $0.execute("INSERT INTO things VALUES (3)", []) }
        let ids = try await pool.transaction { try $0.rows("SELECT id FROM things ORDER BY id", []).map { $0[0] } }
        #expect(ids == [.integer(3)], "the interrupted transaction kept nothing")
        await pool.close()
    }
}

/// Connecting with what the operator configured, and saying what is wrong with it.
struct PostgresConnectingTests {
    @Test func aWrongPasswordIsUnavailableAndSaysWhy() async throws {
        let settings = try await PostgresTestServer.shared.makeDatabase()
        let wrong = NSTemporaryDirectory() + "wrong-password-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: wrong) }
        try Data("not the password\n".utf8).write(to: URL(fileURLWithPath: wrong))
        let pool = PostgresPool(settings: PostgresSettings(endpoint: settings.endpoint, user: settings.user, database: settings.database, passwordFile: wrong))
        let refused = try await failure(pool) { try $0.execute("SELECT 1", []) }
        await pool.close()
        guard case let .unavailable(problem) = refused else { Issue.record("\(String(describing: refused))"); return }
        #expect(problem.contains("password authentication failed"), "\(problem)")
        #expect(!problem.contains("not the password"))
    }

    @Test func aConnectionKilledWhileIdleIsReplacedAndTheNextTransactionRuns() async throws {
        try await withDatabase(connections: 1) { pool in
            let backend = try await pool.transaction { try $0.row("SELECT pg_backend_pid()", [])![0] }
            let other = PostgresPool(settings: pool.settings, connections: 1)
            let killed = try await other.withoutTransaction { try $0.row("SELECT pg_terminate_backend(?::int4)", [backend])![0] }
            await other.close()
            #expect(killed == .integer(1))
            let replacement = try await pool.transaction { try $0.row("SELECT pg_backend_pid()", [])![0] }
            #expect(replacement != backend)
        }
    }

    @Test func aMissingSocketIsUnavailable() async throws {
        let pool = PostgresPool(settings: try PostgresSettings(url: "postgresql://nobody@/nothing?host=/nonexistent", passwordFile: nil))
        let refused = try await failure(pool) { try $0.execute("SELECT 1", []) }
        await pool.close()
        guard case let .unavailable(problem) = refused else { Issue.record("\(String(describing: refused))"); return }
        #expect(problem.contains("/nonexistent"), "\(problem)")
    }
}
