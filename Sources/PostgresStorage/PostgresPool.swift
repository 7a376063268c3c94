import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import StoreSQL

/// A few connections to one database, each owned by a thread of its own that runs one
/// transaction at a time. Async callers wait for their transaction without holding a thread
/// of Swift's cooperative pool: only the pool's threads block on the network.
///
/// A transaction the server gave up so that another could go on (a deadlock, a serialisation
/// failure) is run again, after a short random pause, up to `RetryPolicy.attempts` times in all.
public final class PostgresPool: Sendable {
    public struct RetryPolicy: Sendable {
        /// Tries in all, the first included.
        public var attempts: Int
        /// The pause before the n-th retry is random, up to `firstPause` × 2ⁿ⁻¹ and at most `longestPause`.
        public var firstPause: Duration
        public var longestPause: Duration

        public init(attempts: Int = 8, firstPause: Duration = .milliseconds(5), longestPause: Duration = .milliseconds(200)) {
            precondition(attempts >= 1, "a transaction is tried at least once")
            self.attempts = attempts
            self.firstPause = firstPause
            self.longestPause = longestPause
        }

        func pause(beforeRetry retry: Int) -> Duration {
            let ceiling = min(longestPause, firstPause * (1 << min(retry - 1, 20)))
            return ceiling * Double.random(in: 0...1)
        }
    }

    public let settings: PostgresSettings
    public let retryPolicy: RetryPolicy
    private let queue: SessionQueue

    /// Starts `connections` threads; each connects on its first transaction.
    public init(settings: PostgresSettings, connections: Int = 4, retryPolicy: RetryPolicy = RetryPolicy(), logger: Logger = Logger(label: "postgres")) {
        precondition(connections >= 1, "a pool has at least one connection")
        self.settings = settings
        self.retryPolicy = retryPolicy
        queue = SessionQueue(threads: connections)
        for index in 0..<connections {
            let queue = queue
            let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
            let thread = Thread {
                let session = PostgresSession(settings: settings, id: index, eventLoop: eventLoop, logger: logger)
                while let job = queue.next() { job.run(session) }
                session.drop()
                queue.threadEnded()
            }
            thread.name = "postgres-\(index)"
            thread.start()
        }
    }

    /// Runs `body` in one transaction, retried as a whole when the server asks for it. Throws
    /// what `body` threw (after rolling back), an `SQLFailure`, or
    /// `PostgresStorageError.retriesExhausted`.
    @discardableResult
    public func transaction<Value: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) throws -> Value) async throws -> Value {
        var attempt = 1
        while true {
            do {
                return try await onSession { session in try session.transaction(body) }
            } catch let failure as SQLFailure {
                guard case .retryable = failure else { throw failure }
                guard attempt < retryPolicy.attempts else {
                    throw PostgresStorageError.retriesExhausted(attempts: attempt, last: failure)
                }
                try await Task.sleep(for: retryPolicy.pause(beforeRetry: attempt))
                attempt += 1
            }
        }
    }

    /// Runs `body`'s statements each in a transaction of its own: for what may not run inside
    /// one (CREATE DATABASE, VACUUM). Never retried.
    @discardableResult
    public func withoutTransaction<Value: Sendable>(_ body: @escaping @Sendable (PostgresTransaction) throws -> Value) async throws -> Value {
        try await onSession { session in try body(PostgresTransaction(session: session)) }
    }

    /// Lets the transactions already asked for finish, then closes the connections and ends the
    /// threads. A transaction asked for afterwards fails as `.unavailable`.
    public func close() async {
        await withCheckedContinuation { continuation in queue.close(whenDone: continuation) }
    }

    /// A pool dropped without `close` still ends its threads (the queue outlives it until they do).
    deinit {
        queue.close(whenDone: nil)
    }

    private func onSession<Value: Sendable>(_ work: @escaping @Sendable (PostgresSession) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let job = SessionJob { session in continuation.resume(with: Result { try work(session) }) }
            if !queue.submit(job) {
                continuation.resume(throwing: SQLFailure.unavailable(problem: "the connection pool to \(settings) is closed"))
            }
        }
    }
}

struct SessionJob: Sendable {
    let run: @Sendable (PostgresSession) -> Void
}

/// The jobs waiting for a connection's thread, taken first come first served by whichever
/// thread is free.
final class SessionQueue: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [SessionJob] = []
    private var first = 0
    private var closed = false
    private var running: Int
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []

    init(threads: Int) {
        running = threads
    }

    func submit(_ job: SessionJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// The next job, waiting for one; nil once closed and drained.
    func next() -> SessionJob? {
        condition.lock()
        defer { condition.unlock() }
        while first == jobs.count && !closed { condition.wait() }
        guard first < jobs.count else { return nil }
        let job = jobs[first]
        first += 1
        if first == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            first = 0
        }
        return job
    }

    func close(whenDone continuation: CheckedContinuation<Void, Never>?) {
        condition.lock()
        closed = true
        let done = running == 0
        if !done, let continuation { closeWaiters.append(continuation) }
        condition.broadcast()
        condition.unlock()
        if done { continuation?.resume() }
    }

    func threadEnded() {
        condition.lock()
        running -= 1
        let waiters = running == 0 ? closeWaiters : []
        if running == 0 { closeWaiters = [] }
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }
}
