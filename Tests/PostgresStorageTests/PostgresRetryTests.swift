import NIOConcurrencyHelpers
import PostgresStorage
import StoreSQL
import Testing

/// A transaction the server gave up so that another could go on is reported as retryable, and
/// the runner tries it again until it commits.
struct PostgresRetryTests {
    static func makeAccounts(_ transaction: PostgresTransaction) throws {
        try transaction.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL)", [])
        try transaction.execute("INSERT INTO accounts VALUES (1, 0), (2, 0)", [])
    }

    @Test func aDeadlockIsRetryableAndRetriedToSuccess() async throws {
        try await withDatabase(connections: 2) { pool in
            try await pool.transaction(Self.makeAccounts)
            let locked = [Gate(), Gate()]
            let seen = NIOLockedValueBox<[SQLFailure]>([])
            let attempts = NIOLockedValueBox([0, 0])
            /// Takes one row, waits until the other transaction took the other, then takes it too.
            @Sendable func transfer(_ side: Int, first: Int64, then second: Int64) async throws {
                try await pool.transaction { transaction in
                    let attempt = attempts.withLockedValue { $0[side] += 1; return $0[side] }
                    do {
                        try transaction.execute("UPDATE accounts SET balance = balance + 1 WHERE id = ?", first)
                        if attempt == 1 {
                            locked[side].open()
                            _ = locked[1 - side].waitBlocking()
                        }
                        try transaction.execute("UPDATE accounts SET balance = balance + 10 WHERE id = ?", second)
                    } catch let error as SQLFailure {
                        seen.withLockedValue { $0.append(error) }
                        throw error
                    }
                }
            }
            async let one: Void = transfer(0, first: 1, then: 2)
            async let other: Void = transfer(1, first: 2, then: 1)
            _ = try await (one, other)

            let failures = seen.withLockedValue { $0 }
            #expect(failures.count == 1)
            guard case let .retryable(problem) = failures.first else { Issue.record("\(failures)"); return }
            #expect(problem.contains("40P01"))
            #expect(attempts.withLockedValue { $0 }.sorted() == [1, 2])
            let balances = try await pool.transaction { try $0.rows("SELECT balance FROM accounts ORDER BY id", []).map { $0[0] } }
            #expect(balances == [.integer(11), .integer(11)], "both transfers committed, each once")
        }
    }

    @Test func aSerialisationFailureIsRetryableAndRetriedToSuccess() async throws {
        try await withDatabase(connections: 2) { pool in
            try await pool.transaction(Self.makeAccounts)
            let snapshotTaken = Gate()
            let otherCommitted = Gate()
            let seen = NIOLockedValueBox<[SQLFailure]>([])
            let attempts = NIOLockedValueBox(0)
            async let reader: Void = pool.transaction { transaction in
                let attempt = attempts.withLockedValue { $0 += 1; return $0 }
                do {
                    try transaction.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", [])
                    _ = try transaction.rows("SELECT balance FROM accounts WHERE id = 1", [])
                    if attempt == 1 {
                        snapshotTaken.open()
                        _ = otherCommitted.waitBlocking()
                    }
                    try transaction.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 1", [])
                } catch let error as SQLFailure {
                    seen.withLockedValue { $0.append(error) }
                    throw error
                }
            }
            try await snapshotTaken.wait()
            try await pool.transaction { try $0.execute("UPDATE accounts SET balance = balance + 100 WHERE id = 1", []) }
            otherCommitted.open()
            try await reader

            let failures = seen.withLockedValue { $0 }
            guard failures.count == 1, case let .retryable(problem) = failures[0] else { Issue.record("\(failures)"); return }
            #expect(problem.contains("40001"))
            #expect(attempts.withLockedValue { $0 } == 2)
            let balance = try await pool.transaction { try $0.row("SELECT balance FROM accounts WHERE id = 1", [])![0] }
            #expect(balance == .integer(101))
        }
    }

    @Test func afterTheBoundTheFailureIsTypedAndNothingWasKept() async throws {
        try await withDatabase(connections: 1, retryPolicy: .init(attempts: 3, firstPause: .milliseconds(1))) { pool in
            try await pool.transaction { try $0.execute("CREATE TABLE things (id text)", []) }
            let attempts = NIOLockedValueBox(0)
            let error = await #expect(throws: PostgresStorageError.self) {
                try await pool.transaction { transaction in
                    attempts.withLockedValue { $0 += 1 }
                    try transaction.execute("INSERT INTO things VALUES ('x')", [])
                    // What the server says when a lock is not granted at once: retryable.
                    try transaction.execute("DO $$ BEGIN RAISE EXCEPTION 'busy' USING ERRCODE = '55P03'; END $$", [])
                }
            }
            guard case let .retriesExhausted(count, last) = error, case .retryable = last else { Issue.record("\(String(describing: error))"); return }
            #expect(count == 3)
            #expect(attempts.withLockedValue { $0 } == 3)
            #expect(try await pool.transaction { try $0.row("SELECT count(*) FROM things", [])![0] } == .integer(0))
        }
    }
}
