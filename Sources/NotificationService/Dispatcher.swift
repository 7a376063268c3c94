import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Delivery
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NotificationStore
import Notifications
import ServiceLifecycle

/// Sends what is due, up to `concurrency` at once, and records each outcome as it comes:
/// sent, retried later by the retry policy, or a dead letter. A store that cannot write (a full
/// disk) stops neither: claiming waits and tries again, and an outcome is kept until it is
/// recorded, so a message sent is not sent again and none stays `sending` once the disk is back.
final class Dispatcher: Service, Sendable {
    private let store: any NotificationStore
    private let transports: Transports
    private let policy: RetryPolicy
    private let concurrency: Int
    private let clock: SuiteClock
    private let wake: WakeSignal
    private let logger: Logger
    private let inFlight = NIOLockedValueBox(0)
    private let claiming: FailureStreak
    private let recording: FailureStreak

    init(store: any NotificationStore, transports: Transports, settings: NotifySettings, clock: SuiteClock, wake: WakeSignal, logger: Logger) {
        self.store = store
        self.transports = transports
        self.policy = settings.retry
        self.concurrency = settings.concurrency
        self.clock = clock
        self.wake = wake
        self.logger = logger
        claiming = FailureStreak("claiming due deliveries", logger: logger)
        recording = FailureStreak("recording a delivery's outcome", logger: logger)
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let room = concurrency - inFlight.withLockedValue { $0 }
                    var claimed: [StoredDelivery] = []
                    if room > 0 {
                        do {
                            claimed = try await store.claimDue(now: clock.now(), limit: room)
                            claiming.succeeded()
                        } catch {
                            await wake.wait(upTo: claiming.failed(error))
                            continue
                        }
                    }
                    for delivery in claimed {
                        inFlight.withLockedValue { $0 += 1 }
                        group.addTask {
                            await self.send(delivery)
                            self.inFlight.withLockedValue { $0 -= 1 }
                            self.wake.notify()
                        }
                    }
                    if claimed.count < room || room == 0 {
                        await wake.wait(upTo: await nextWait())
                    }
                }
            } onGracefulShutdown: {
                self.wake.notify()
            }
        }
        await transports.shutdown()
    }

    /// Until the next retry is due, but at least every second (the clock may be moved in tests).
    private func nextWait() async -> Duration {
        guard let next = try? await store.nextDue() else { return .seconds(1) }
        return min(clock.realDuration(of: max(next.timeIntervalSince(clock.now()), 0.001)), .seconds(1))
    }

    private func send(_ stored: StoredDelivery) async {
        let delivery = stored.delivery
        let outcome: AttemptOutcome
        let now: Date
        do {
            try await transports.send(delivery, attempt: stored.attempts)
            now = clock.now()
            outcome = .sent
            Counter(label: "notify_deliveries_total", dimensions: [("channel", delivery.channel.rawValue), ("outcome", "sent")]).increment()
            logger.info("sent", metadata: metadata(stored))
        } catch {
            now = clock.now()
            let failure = error as? DeliveryFailure ?? DeliveryFailure(permanent: false, reason: "\(error)")
            // Kept and logged with the recipient masked: the answer may quote the address.
            let reason = delivery.scrubbed(failure.reason)
            if failure.permanent {
                outcome = .failed(error: reason)
            } else if let next = policy.nextAttempt(afterAttempts: stored.attempts, firstAttemptAt: stored.firstAttemptAt ?? now, now: now,
                                                    retryAfter: failure.retryAfter?.seconds, random: Double.random(in: 0..<1)) {
                outcome = .retry(error: reason, at: next)
            } else {
                outcome = .failed(error: "gave up after \(stored.attempts) attempts: \(reason)")
            }
            let kind = if case .retry = outcome { "retry" } else { "failed" }
            Counter(label: "notify_deliveries_total", dimensions: [("channel", delivery.channel.rawValue), ("outcome", kind)]).increment()
            var details = metadata(stored)
            details["error"] = "\(reason)"
            if kind == "failed" {
                logger.error("gave up: a dead letter (bookctl notifications --failed)", metadata: details)
            } else {
                logger.warning("failed; will retry", metadata: details)
            }
        }
        await keepRecording(delivery.id, outcome, at: now)
    }

    /// Tries until the store takes it: sending again is what a lost outcome would cost. When
    /// notifyd stops meanwhile, the delivery stays `sending` and goes again at the next start,
    /// in doubt (`releaseOwnClaims`), or once its lease ends on another instance.
    private func keepRecording(_ id: String, _ outcome: AttemptOutcome, at now: Date) async {
        while true {
            do {
                if try await store.record([(id, outcome)], at: now).contains(id) {
                    logger.warning("the outcome came after the claim's lease ended and another instance took the delivery over: its outcome counts",
                                   metadata: ["delivery": "\(id)"])
                }
                recording.succeeded()
                return
            } catch {
                let wait = recording.failed(error, metadata: ["delivery": "\(id)"])
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                try? await Task.sleep(for: wait)
            }
        }
    }

    private func metadata(_ stored: StoredDelivery) -> Logger.Metadata {
        [
            "delivery": "\(stored.delivery.id)", "reference": "\(BookingReference.masked(stored.delivery.reference))", "channel": "\(stored.delivery.channel.rawValue)",
            "recipient": "\(stored.delivery.maskedRecipient)", "attempt": "\(stored.attempts)",
        ]
    }
}
