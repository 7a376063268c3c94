import AvailabilityStore
import DaemonKit
import Logging

/// How one availabilityd replica notices what another changed in their shared store (blocked
/// days, consultants, their hours, time off, busy time): every change moves the store's change
/// version in its own transaction, and a check that finds it past the version the view is as
/// of reloads the view from the store, as a SIGHUP reload does. A replica's own changes reload
/// its view at once; the check only catches the others'.
struct ReplicaChanges: Sendable {
    let store: any CalendarStore
    let view: AvailabilityView
    /// Reloads the view from the store (`CalendarCommands.refresh`).
    let reload: @Sendable () async throws -> Void

    /// One check, a cheap read of one row; true when the version had moved and the view was reloaded.
    @discardableResult
    func check() async throws -> Bool {
        guard try await store.changeVersion() != view.current.storeVersion else { return false }
        try await reload()
        return true
    }

    /// The check every `interval`, its failures logged once per run (`FailureStreak`): a replica
    /// that cannot reach the database serves what it has until it can.
    func service(every interval: Duration, logger: Logger) -> PeriodicService {
        let failures = FailureStreak("checking for other replicas' changes", logger: logger)
        return PeriodicService(every: interval) {
            do {
                if try await check() { logger.debug("another replica changed the calendar; view reloaded") }
                failures.succeeded()
            } catch {
                failures.failed(error)
            }
        }
    }
}
