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
