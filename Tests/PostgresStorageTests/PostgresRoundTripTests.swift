import Foundation
import PostgresStorage
import Testing

/// What one statement costs through the transaction runner on the Unix socket: a figure for
/// docs/performance.md, printed rather than asserted. Run with POSTGRES_ROUND_TRIP=1.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["POSTGRES_ROUND_TRIP"] != nil))
struct PostgresRoundTripTests {
    @Test func roundTrips() async throws {
        try await withDatabase(connections: 1) { pool in
            try await pool.transaction { try $0.execute("CREATE TABLE things (id bigint PRIMARY KEY, name text NOT NULL, at_ms bigint NOT NULL)", []) }
            let count = 2000
            func measure(_ label: String, _ body: (Int) async throws -> Void) async rethrows {
                for index in 0..<50 { try await body(-1 - index) }  // warm up
                let start = ContinuousClock.now
                for index in 0..<count { try await body(index) }
                Self.report(label, since: start, count: count)
            }
            try await measure("SELECT 1 alone (no BEGIN/COMMIT), from async code") { _ in
                try await pool.withoutTransaction { _ = try $0.rows("SELECT 1", []) }
            }
            try await measure("SELECT 1 in a transaction (BEGIN, SELECT, COMMIT), from async code") { _ in
                try await pool.transaction { _ = try $0.rows("SELECT 1", []) }
            }
            try await measure("a small INSERT in a transaction (BEGIN, INSERT, COMMIT with fsync), from async code") { index in
                try await pool.transaction { _ = try $0.execute("INSERT INTO things (id, name, at_ms) VALUES (?, ?, ?)", Int64(index), "a name", Int64(1_800_000_000_000)) }
            }
            try await pool.transaction { transaction in
                let start = ContinuousClock.now
                for _ in 0..<count { _ = try transaction.rows("SELECT 1", []) }
                Self.report("SELECT 1 inside one transaction, on the connection's thread", since: start, count: count)
            }
        }
    }

    static func report(_ label: String, since start: ContinuousClock.Instant, count: Int) {
        let each = (ContinuousClock.now - start) / count
        print("round trip: \(label): \(each.formatted(.units(allowed: [.microseconds], fractionalPart: .show(length: 0)))) each over \(count)")
    }
}
