import BookingProtocol
import CalendarSyncStore
import DaemonKit
import Foundation
import Logging

/// Tells notifyd of each conflict a sync found, so the consultant and the team hear of it;
/// apart from the syncs, so a notifyd that is down or slow holds up no calendar. A conflict
/// stays untold until notifyd takes it; notifyd queues one message per recipient and conflict
/// id, so telling it twice (a crash between its answer and our record) sends nothing twice.
struct ConflictNotices {
    let store: CalendarSyncStore
    let notifyd: DaemonClient
    let logger: Logger

    func tellUntold() async {
        guard let untold = try? await store.untoldConflicts() else { return }
        for conflict in untold {
            do {
                let _: CalendarConflictNoticeReply = try await notifyd.call(
                    MessageType.calendarConflict, CalendarConflictNotice(conflict: CalendarSyncEngine.body(conflict)))
                try await store.markNotified(conflictId: conflict.id)
            } catch {
                logger.warning("cannot tell notifyd of a calendar conflict; will try again", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
