import BookingDomain
import BookingProtocol
import BookingStore
import CivilTime
import DaemonKit
import Foundation
import Logging
import Metrics

/// `export` and `erase`: one person's data, all of it, or none of it any more (issue 13).
extension BookingCommands {
    func addPrivacyRoutes(to routes: inout RequestRoutes) {
        routes.on(MessageType.export, DataSubjectRequest.self) { request, _ in try await export(request) }
        routes.on(MessageType.erase, EraseRequest.self) { request, header in try await erase(request, header) }
        routes.on(MessageType.dataLink, DataLinkRequest.self) { request, _ in try await dataLink(request) }
        routes.on(MessageType.clientExport, ClientDataRequest.self) { request, _ in
            let reference = try confirmed(request, .export)
            return try await export(DataSubjectRequest(reference: reference.description))
        }
        routes.on(MessageType.clientErase, ClientDataRequest.self) { request, header in
            let reference = try confirmed(request, .erase)
            let clientIds = try await clients(of: .reference(reference))
            return try await erase(clientIds, reason: PrivacyInput.clientReason, user: "client", correlationId: header.id)
        }
    }

    /// notifyd's question for the email that confirms a client's request: the token, and the
    /// booking with the address it goes to.
    private func dataLink(_ request: DataLinkRequest) async throws -> DataLinkReply {
        let reference = try reference(request.reference)
        let appointment = try await existing(reference)
        guard appointment.erasedAt == nil else {
            throw ProtocolError(.conflict, "the personal data of this booking was erased; nothing is left to send a link to", field: "reference")
        }
        // Whole milliseconds, as the link and the token carry the end.
        let expiresAt = Date(millisecondsSince1970: clock.now().addingTimeInterval(DataLinkRequest.lifetime).millisecondsSince1970)
        return DataLinkReply(action: request.action, token: signer.dataRequestToken(request.action, reference: reference, expiresAt: expiresAt),
                             expiresAt: expiresAt, appointment: AppointmentBody(appointment))
    }

    /// The booking whose client confirmed `action` with the emailed link: a token of another
    /// action, booking or end, or a link past its end, is refused.
    private func confirmed(_ request: ClientDataRequest, _ action: DataRequestAction) throws -> BookingReference {
        let reference = try reference(request.reference)
        guard signer.acceptsDataRequest(token: request.token, action: action, reference: reference, expiresAt: request.expiresAt) else {
            throw ProtocolError(.validationFailed, "the link's token does not match; open the link from the email again", field: "token")
        }
        guard request.expiresAt > clock.now() else {
            throw ProtocolError(.conflict, "the link expired at \(ISO8601.instant(request.expiresAt)); ask for a new one on the booking's page", field: "expires_at")
        }
        return reference
    }

    /// Audited by the request server (who asked, when), as every admin command that is no query.
    private func export(_ request: DataSubjectRequest) async throws -> ExportReply {
        let clientIds = try await clients(of: try PrivacyInput.subject(request))
        let export = try await store.export(clients: clientIds)
        return ExportReply(
            clientIds: export.clientIds.map { $0.uuidString.lowercased() },
            bookings: export.bookings.map { ExportedBookingBody(appointment: AppointmentBody($0.appointment), history: $0.history) },
            erasures: export.erasures.map(ErasureBody.init),
            consents: export.consents.map { reference, record in
                ConsentRecordBody(reference: reference, purpose: record.purpose.rawValue, notice: record.notice, at: record.givenAt, address: record.address)
            }
        )
    }

    /// Cancels the person's future appointments first (each its own change, as an admin's, with
    /// its event), then erases everything in one transaction. A crash between the two leaves
    /// cancelled appointments whose data a repeat erases; a repeat after both erases nothing.
    private func erase(_ request: EraseRequest, _ header: MessageHeader) async throws -> ErasureBody {
        let subject = try PrivacyInput.subject(request.subject)
        let reason = try PrivacyInput.reason(request.reason)
        return try await erase(try await clients(of: subject), reason: reason, user: header.user ?? "-", correlationId: header.id)
    }

    private func erase(_ clientIds: [UUID], reason: String, user: String, correlationId: String) async throws -> ErasureBody {
        var cancelled = 0
        for reference in try await store.activeAppointments(ofClients: clientIds, after: clock.now()) {
            let context = CommandContext(command: MessageType.cancel, correlationId: correlationId, idempotencyKey: nil, digest: "", actor: .admin,
                                         user: user, now: clock.now())
            do {
                _ = try await store.apply(.cancel(reference: reference, reason: reason, clientMessage: nil), context: context)
                cancelled += 1
            } catch BookingRefusal.transition {
                // Ended meanwhile (started, released): nothing to cancel.
            }
            publisher.committed()
        }
        let record = try await store.erase(clients: clientIds, cancelled: cancelled, user: user, correlationId: correlationId, at: clock.now())
        publisher.committed()
        if !record.erasedNothing {
            Counter(label: "booking_erasures_total", dimensions: [("reason", "request")]).increment()
        }
        logger.notice("personal data erased on request", metadata: [
            "erasure": "\(record.id.uuidString.lowercased())", "appointments": "\(record.appointments)", "cancelled": "\(record.cancelled)",
            "user": "\(user)", "correlation_id": "\(correlationId)",
        ])
        return ErasureBody(record)
    }

    private func clients(of subject: DataSubject) async throws -> [UUID] {
        let clientIds = try await store.clientIds(of: subject)
        guard !clientIds.isEmpty else {
            throw ProtocolError(.notFound, "bookingd holds nothing about that \(subject.noun)", field: subject.noun)
        }
        return clientIds
    }
}

/// Checks of the requests' fields: exactly one way to name the person, in the forms stored.
enum PrivacyInput {
    static func subject(_ request: DataSubjectRequest) throws -> DataSubject {
        let given = [request.email, request.phone, request.reference].compactMap { $0 }
        guard given.count == 1 else {
            throw ProtocolError(.validationFailed, "give exactly one of email, phone or reference (got \(given.count))", field: "email")
        }
        if let email = request.email {
            return .email(try ContactInfo.validatedEmail(email))
        }
        if let phone = request.phone {
            return .phone(try ContactInfo.validatedPhone(phone))
        }
        do {
            return .reference(try BookingReference(parsing: request.reference ?? ""))
        } catch {
            throw ProtocolError(.invalidReference, error.message, field: "reference")
        }
    }

    static let defaultReason = "erasure requested"
    /// The reason of an erasure the client confirmed through the emailed link.
    static let clientReason = "erasure requested by the client"

    static func reason(_ text: String?) throws -> String {
        guard let text else { return defaultReason }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 500, !trimmed.contains(where: \.isNewline) else {
            throw ProtocolError(.validationFailed, "the reason is one line of 1 to 500 characters", field: "reason")
        }
        return trimmed
    }
}

extension DataSubject {
    var noun: String {
        switch self {
        case .email: "email"
        case .phone: "phone"
        case .reference: "reference"
        }
    }
}

extension ErasureBody {
    init(_ record: ErasureRecord) {
        self.init(
            id: record.id.uuidString.lowercased(), at: record.at, user: record.user, reason: record.reason.rawValue,
            clientIds: record.clientIds.map { $0.uuidString.lowercased() }, appointments: record.appointments,
            historyEntries: record.historyEntries, idempotencyRecords: record.idempotencyRecords, clientKeys: record.clientKeys,
            cancelled: record.cancelled
        )
    }
}

/// Erases, every hour on the suite's clock and at start, the personal data the retention rule
/// says is due, a bounded batch per transaction so bookings are not held up.
struct RetentionSweeper: Sendable {
    static let batch = 200

    let store: any BookingStore
    let publisher: EventPublisher
    let clock: SuiteClock
    let settings: Reloadable<PrivacySettings>
    let logger: Logger

    func tick() async {
        do {
            while let record = try await store.eraseExpired(settings.value.retention, limit: Self.batch,
                                                            correlationId: UUID().uuidString.lowercased(), at: clock.now()) {
                publisher.committed()
                Counter(label: "booking_erasures_total", dimensions: [("reason", "retention")]).increment()
                logger.notice("personal data past its retention erased", metadata: [
                    "erasure": "\(record.id.uuidString.lowercased())", "appointments": "\(record.appointments)", "client_keys": "\(record.clientKeys)",
                ])
                if record.appointments < Self.batch { break }
            }
        } catch {
            logger.error("cannot erase personal data past its retention; will try again", metadata: ["error": "\(error)"])
        }
    }
}
