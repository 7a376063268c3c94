import CCurl
import Foundation

/// libcurl's process-wide setup, done once before the first easy handle exists.
private let curlGlobalInit: CURLcode = ccurl_global_init_all()

/// One easy handle and its error buffer, owned by one worker thread for its whole life. Keeping
/// the handle between jobs is what lets libcurl reuse the connection for the next message.
final class CurlHandle {
    let handle: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>

    init?() {
        _ = curlGlobalInit
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }
}

/// A job for a worker: `run` gets the worker's handle; `abandon` is called instead when the
/// pool shuts down before the job started.
struct CurlJob: Sendable {
    let run: @Sendable (CurlHandle) -> Void
    let abandon: @Sendable () -> Void
}

/// N POSIX threads, each owning one libcurl easy handle, taking jobs from one FIFO queue.
/// libcurl's blocking `curl_easy_perform` runs only here, never on the Swift concurrency pool.
final class CurlWorkerPool: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `mutex`.
    private var jobs: [CurlJob] = []
    private var head = 0
    private var closed = false
    private var running = 0
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []

    init(workers: Int, name: String) {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        let count = max(1, workers)
        running = count
        for index in 0..<count {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues a job; returns false (and does not run it) once the pool is shut down.
    func submit(_ job: CurlJob) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if closed { return false }
        jobs.append(job)
        pthread_cond_signal(condition)
        return true
    }

    /// Runs `body` on a worker and returns what it produced; a shut-down pool gives `closedResult`.
    func perform<T: Sendable>(closedResult: T, _ body: @escaping @Sendable (CurlHandle) -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let accepted = submit(CurlJob(
                run: { handle in continuation.resume(returning: body(handle)) },
                abandon: { continuation.resume(returning: closedResult) }
            ))
            if !accepted { continuation.resume(returning: closedResult) }
        }
    }

    /// Stops taking jobs, abandons the queued ones, lets running transfers finish, and waits
    /// until every worker has cleaned up its handle (closing its connections). Idempotent.
    func shutdown() async {
        let abandoned: [CurlJob] = {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            closed = true
            let rest = Array(jobs[head...])
            jobs.removeAll()
            head = 0
            pthread_cond_broadcast(condition)
            return rest
        }()
        for job in abandoned { job.abandon() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pthread_mutex_lock(mutex)
            if running == 0 {
                pthread_mutex_unlock(mutex)
                continuation.resume()
            } else {
                exitWaiters.append(continuation)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    /// Asks the workers to stop without waiting (for `deinit` of an owner never shut down).
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        let rest = Array(jobs[head...])
        jobs.removeAll()
        head = 0
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
        for job in rest { job.abandon() }
    }

    /// Returns when the pool closes; the handle dies with this frame, so curl_easy_cleanup has
    /// closed this worker's connections before `shutdown()` returns.
    private func runJobs() {
        let handle = CurlHandle()
        while let job = next() {
            if let handle { job.run(handle) } else { job.abandon() }
        }
    }

    private func next() -> CurlJob? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == jobs.count && !closed {
            pthread_cond_wait(condition, mutex)
        }
        if head == jobs.count { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }

    private func work() {
        runJobs()
        let waiters: [CheckedContinuation<Void, Never>] = {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            running -= 1
            guard running == 0 else { return [] }
            let w = exitWaiters
            exitWaiters.removeAll()
            return w
        }()
        for waiter in waiters { waiter.resume() }
    }
}
