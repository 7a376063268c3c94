import Foundation
import NIOConcurrencyHelpers
import PostgresStorage
import PostgresTesting
import StoreSQL

/// A database of the test's own on the shared test server, and a pool to it closed afterwards.
func withDatabase<Value>(connections: Int = 2, retryPolicy: PostgresPool.RetryPolicy = .init(),
                         _ body: (PostgresPool) async throws -> Value) async throws -> Value {
    let settings = try await PostgresTestServer.shared.makeDatabase()
    let pool = PostgresPool(settings: settings, connections: connections, retryPolicy: retryPolicy)
    do {
        let value = try await body(pool)
        await pool.close()
        return value
    } catch {
        await pool.close()
        throw error
    }
}

/// The `SQLFailure` a transaction ended with; nil if it committed.
func failure(_ pool: PostgresPool, _ body: @escaping @Sendable (PostgresTransaction) throws -> Void) async throws -> SQLFailure? {
    do {
        try await pool.transaction(body)
        return nil
    } catch let failure as SQLFailure {
        return failure
    }
}

/// A point one side waits for and another reaches: set from any thread, awaited from a test
/// or from a pool's thread (inside a transaction).
final class Gate: Sendable {
    private let opened = NIOLockedValueBox(false)

    func open() { opened.withLockedValue { $0 = true } }

    var isOpen: Bool { opened.withLockedValue { $0 } }

    /// For a transaction's body, on a pool's own thread.
    func waitBlocking(timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isOpen {
            guard ContinuousClock.now < deadline else { return false }
            usleep(2000)
        }
        return true
    }

    func wait(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isOpen {
            guard ContinuousClock.now < deadline else { throw GateTimedOut() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

struct GateTimedOut: Error {}
