import PostgresStorage
import PostgresTesting
import StoreSQL
import Testing

/// One holder at a time, kept across checks, and taken over when the holder's session ends,
/// however it ends.
struct PostgresAdvisoryLockTests {
    static let key: Int64 = 0x626F_6F6B_696E_6764

    @Test func oneOfTwoHoldsTheLockAndKeepsItAcrossChecks() async throws {
        let settings = try await PostgresTestServer.shared.makeDatabase()
        let first = PostgresAdvisoryLock(settings: settings, key: Self.key)
        let second = PostgresAdvisoryLock(settings: settings, key: Self.key)
        #expect(await first.check())
        #expect(!(await second.check()))
        for _ in 0..<5 {
            #expect(await first.check())
            #expect(!(await second.check()))
        }
        #expect(first.isHeld && !second.isHeld)
        await first.release()
        // The server frees the lock when it sees the closed connection, a moment later.
        #expect(try await Self.eventually { await second.check() })
        await second.release()
    }

    /// Whether `check` came true within ten seconds (a loaded machine's server takes its time
    /// to end a backend).
    static func eventually(_ check: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if await check() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// A holder whose connection the server ended (a failover, an administrator, a dead host
    /// found by the keepalives) hears so at its next check, even though its pool quietly
    /// connects again: the new session does not hold the lock, and the other process takes it.
    @Test func aHolderWhoseSessionEndedLosesTheLockToTheOther() async throws {
        let settings = try await PostgresTestServer.shared.makeDatabase()
        let first = PostgresAdvisoryLock(settings: settings, key: Self.key)
        let second = PostgresAdvisoryLock(settings: settings, key: Self.key)
        #expect(await first.check())
        #expect(!(await second.check()))

        let admin = PostgresPool(settings: settings, connections: 1)
        let ended = try await admin.withoutTransaction { transaction in
            try transaction.row("""
                SELECT count(pg_terminate_backend(pid)) AS ended FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND ((classid::bigint << 32) | objid::bigint) = ?
                """, Self.key)
        }
        #expect(ended?[0] == .integer(1))
        await admin.close()

        // The first check after the end may fail on the dead connection or succeed on a new one;
        // either way the first does not hold the lock, and one of the two takes it.
        var holders: Set<Int> = []
        _ = try await Self.eventually {
            if await second.check() { holders.insert(2) }
            if await first.check() { holders.insert(1) }
            return !holders.isEmpty
        }
        #expect(holders.count == 1)
        #expect(first.isHeld != second.isHeld)
        await first.release()
        await second.release()
    }

    @Test func anUnreachableServerMeansTheLockIsNotHeld() async throws {
        var settings = try await PostgresTestServer.shared.makeDatabase()
        settings.endpoint = .unixSocket(directory: "/nonexistent-postgres-socket-directory", port: 5432)
        let lock = PostgresAdvisoryLock(settings: settings, key: Self.key)
        #expect(!(await lock.check()))
        #expect(!lock.isHeld)
        await lock.release()
    }
}
