import ServiceLifecycle
import NIOConcurrencyHelpers

/// Wakes one waiting loop (a dispatcher, a follower) when there may be work, or after a timeout; a
/// notification that comes while nobody waits is kept for the next wait.
public final class WakeSignal: Sendable {
    public init() {}

    private let state = NIOLockedValueBox<(signalled: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    public func notify() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    public func wait(upTo timeout: Duration) async {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self?.notify() }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { state -> Bool in
                if state.signalled {
                    state.signalled = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
    }
}

/// A loop that works, then waits for its signal or the wait its work asked for, until graceful
/// shutdown, which wakes it: a writer of pending work, a teller of untold news.
public struct WakingLoop: Service {
    let wake: WakeSignal
    /// One round of work; answers how long to wait at most before the next.
    let work: @Sendable () async -> Duration

    public init(wake: WakeSignal, _ work: @escaping @Sendable () async -> Duration) {
        self.wake = wake
        self.work = work
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await wake.wait(upTo: await work())
            }
        } onGracefulShutdown: {
            wake.notify()
        }
    }
}
