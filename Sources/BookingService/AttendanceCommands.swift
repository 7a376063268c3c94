import BookingDomain
import BookingProtocol
import BookingStore
import CivilTime
import DaemonKit
import Foundation
import Metrics

/// Marks of attendance (`mark_outcome`) and the booking page's funnel (`visit_step`).
extension BookingCommands {
    func addAttendanceRoutes(to routes: inout RequestRoutes) {
        routes.onEncoded(MessageType.markOutcome, MarkOutcomeRequest.self) { try await markOutcome($0, $1) }
        routes.on(MessageType.visitStep, VisitStepRequest.self) { request, _ in
            try await recordVisitStep(request)
            return Empty()
        }
    }

    /// An admin marks as themselves. Anyone else (webd, for whoever opened the link) needs the
    /// token of the link emailed to the consultant: it names the booking, the outcome and the
    /// link's end, so it marks nothing else. Such a mark is recorded as the consultant's.
    private func markOutcome(_ request: MarkOutcomeRequest, _ envelope: Envelope) async throws -> [UInt8] {
        let reference = try reference(request.reference)
        guard let outcome = Self.outcomeStatus(request.outcome) else {
            throw ProtocolError(.validationFailed, "outcome must be \(OutcomeName.all.joined(separator: " or "))", field: "outcome")
        }
        let note = try validatedReason(request.note, field: "note")
        var context = try commandContext(MessageType.markOutcome, envelope, request, actor: nil, default: .admin)
        if let token = request.token {
            guard let expiresAt = request.expiresAt else {
                throw ProtocolError(.validationFailed, "a marking link's token comes with its expires_at", field: "expires_at")
            }
            guard signer.acceptsOutcome(token: token, outcome: request.outcome, reference: reference, expiresAt: expiresAt) else {
                throw ProtocolError(.validationFailed, "the link's token does not match; open the link from the email again", field: "token")
            }
            guard expiresAt > context.now else {
                throw ProtocolError(.conflict, "the link expired at \(ISO8601.instant(expiresAt)); ask an admin to mark it (bookctl \(request.outcome == OutcomeName.noShow ? "no-show" : "attended"))",
                                    field: "expires_at")
            }
            let appointment = try await existing(reference)
            context.user = "consultant \(appointment.consultantId) (emailed link)"
        } else if let peer = PeerIdentity.current, let refusal = CommandAccess.refusal(actingAs: Actor.admin.rawValue, from: peer) {
            throw ProtocolError(.forbidden, "bookingd refused `\(MessageType.markOutcome)` without a link's token: \(refusal)", field: "token")
        }
        if let earlier = try await earlierAnswer(context) { return earlier }
        let result = try await store.apply(.markOutcome(reference: reference, outcome: outcome, note: note), context: context)
        publisher.committed()
        if !result.replayed {
            Counter(label: "booking_changes_total", dimensions: [("kind", request.outcome)]).increment()
            logger.info("outcome marked", metadata: [
                "reference": "\(reference.masked)", "outcome": "\(request.outcome)", "user": "\(context.user ?? "-")",
                "correlation_id": "\(envelope.header.id)",
            ])
        }
        return result.reply
    }

    static func outcomeStatus(_ name: String) -> AppointmentStatus? {
        switch name {
        case OutcomeName.attended: .completed
        case OutcomeName.noShow: .noShow
        default: nil
        }
    }

    /// The consultant's marking links for a `contact` reply: from the booking on until
    /// `outcome_link_days` after its end; none for a cancelled booking or once they have ended.
    func outcomeLinks(_ appointment: Appointment) -> OutcomeLinksBody? {
        guard appointment.status == .confirmed || appointment.status.isOutcome else { return nil }
        // Whole milliseconds: the link carries the end as such and the token must match it.
        let expiresAt = Date(millisecondsSince1970: appointment.timeSlot.end.addingTimeInterval(settings.value.outcomeLinkLifetime).millisecondsSince1970)
        guard expiresAt > clock.now() else { return nil }
        return signer.outcomeLinks(reference: appointment.bookingReference, expiresAt: expiresAt)
    }

    private func recordVisitStep(_ request: VisitStepRequest) async throws {
        // webd's id of a random visit: bounded, so a bad client cannot fill the table with essays.
        guard (8...64).contains(request.visit.utf8.count), request.visit.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw ProtocolError(.validationFailed, "a visit id has 8 to 64 letters, digits, '-' or '_'", field: "visit")
        }
        var reference: String?
        if let text = request.reference {
            guard request.step == .booked else {
                throw ProtocolError(.validationFailed, "only the booked step names a reference", field: "reference")
            }
            reference = try self.reference(text).description
        }
        try await store.recordVisitStep(visit: request.visit, step: request.step, reference: reference, at: clock.now())
    }
}
