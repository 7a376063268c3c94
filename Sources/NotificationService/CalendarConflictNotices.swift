import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import Logging
import NotificationStore
import Notifications

/// calsyncd's `calendar_conflict`: a consultant's own calendar disagrees with a booking. Nothing
/// is cancelled by itself, so the consultant and the team are told, once per conflict id: calsyncd
/// says it again until it has an answer, and after a crash it may say it twice.
struct CalendarConflictNotices: Sendable {
    static let maximumIdLength = 200

    let store: any NotificationStore
    let composer: MessageComposer
    let directory: ConsultantDirectory
    let clock: SuiteClock
    let dispatcher: WakeSignal
    let logger: Logger

    func tell(_ notice: CalendarConflictNotice) async throws -> CalendarConflictNoticeReply {
        let conflict = notice.conflict
        let kind = try Self.validated(conflict)
        let consultant: Consultant?
        do {
            consultant = try await directory.known(conflict.consultantId)
        } catch {
            throw ProtocolError(.unavailable, "availabilityd did not say who consultant '\(conflict.consultantId)' is; the notice was not queued, send it again",
                                field: "conflict.consultant_id")
        }
        guard let consultant else {
            throw ProtocolError(.notFound, "availabilityd knows no consultant '\(conflict.consultantId)'", field: "conflict.consultant_id")
        }
        let deliveries: [NewDelivery]
        do {
            deliveries = try composer.calendarConflictDeliveries(CalendarConflictFacts(kind: kind, conflict: conflict, consultant: consultant))
        } catch {
            logger.error("a calendar conflict's notice could not be rendered", metadata: ["conflict": "\(conflict.id)", "error": "\(error)"])
            throw ProtocolError(.internalError, "the notice could not be rendered (notifyd's log says why)", field: "conflict")
        }
        let queued = try await store.queue(deliveries, now: clock.now())
        if queued > 0 { dispatcher.notify() }
        logger.info("calendar conflict told", metadata: [
            "conflict": "\(conflict.id)", "kind": "\(kind.rawValue)", "consultant": "\(consultant.id)",
            "reference": "\(conflict.reference.map(BookingReference.masked) ?? "-")", "queued": "\(queued)",
        ])
        return CalendarConflictNoticeReply(queued: queued)
    }

    /// The conflict's kind, or the refusal that names what is wrong with the body.
    static func validated(_ conflict: CalendarConflictBody) throws(ProtocolError) -> CalendarConflictKind {
        guard !conflict.id.isEmpty, conflict.id.count <= maximumIdLength else {
            throw ProtocolError(.validationFailed, "a conflict's id is 1 to \(maximumIdLength) characters, and the same for the same disagreement",
                                field: "conflict.id")
        }
        guard let kind = CalendarConflictKind(rawValue: conflict.kind) else {
            throw ProtocolError(.validationFailed, "'\(conflict.kind)' is not a kind of conflict: \(CalendarConflictKind.allCases.map(\.rawValue).joined(separator: ", "))",
                                field: "conflict.kind")
        }
        guard !conflict.consultantId.isEmpty else {
            throw ProtocolError(.validationFailed, "the conflict names no consultant", field: "conflict.consultant_id")
        }
        if let reference = conflict.reference, (try? BookingReference(parsing: reference)) == nil {
            throw ProtocolError(.invalidReference, "the conflict's reference is not a booking reference such as BK-7Q2M-X9TD-4KHN-ZP3CG",
                                field: "conflict.reference")
        }
        return kind
    }
}
