import Logging
import NIOConcurrencyHelpers

/// A loop's run of failures at one step (a store that cannot write, a disk that is full): the
/// first failure is logged, the others only counted, so a long outage is one line and not one
/// a second; the loop waits longer after each failure, up to a cap, so it neither spins nor
/// stays away long once the cause is gone; the first success ends the run and says so.
public final class FailureStreak: Sendable {
    private let step: String
    private let logger: Logger
    private static let firstWait: Duration = .milliseconds(100)
    private static let longestWait: Duration = .seconds(5)
    private let state = NIOLockedValueBox<(failures: Int, wait: Duration)>((0, .zero))

    /// `step` names what fails, as a log line begins: "recording a delivery's outcome".
    public init(_ step: String, logger: Logger) {
        self.step = step
        self.logger = logger
    }

    /// Notes a failure and returns how long to wait before trying again.
    @discardableResult
    public func failed(_ error: any Error, metadata: Logger.Metadata = [:]) -> Duration {
        let (failures, wait) = state.withLockedValue { state in
            state.failures += 1
            state.wait = state.failures == 1 ? Self.firstWait : min(state.wait * 2, Self.longestWait)
            return state
        }
        if failures == 1 {
            var details = metadata
            details["error"] = "\(error)"
            logger.error("\(step) failed; trying again until it works (logged once per run of failures)", metadata: details)
        }
        return wait
    }

    /// Notes a success: a run of failures before it is over.
    public func succeeded() {
        let failures = state.withLockedValue { state in
            defer { state = (0, .zero) }
            return state.failures
        }
        if failures > 0 {
            logger.notice("\(step) works again", metadata: ["failures": "\(failures)"])
        }
    }
}
