import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import Logging
import Metrics
import NotificationStore
import Notifications

/// The manage page's requests about a client's data: the email whose link confirms one. The
/// link goes to the address the booking was made with, so only its owner can export or erase
/// the data; the reference alone asks, it never acts.
struct DataRequestMail: Sendable {
    /// One email per booking and action in this time: the page cannot be used to flood a mailbox.
    static let spacing: TimeInterval = 10 * 60

    let store: any NotificationStore
    let composer: MessageComposer
    let directory: ConsultantDirectory
    let bookingd: DaemonClient
    let clock: SuiteClock
    let dispatcher: WakeSignal
    let logger: Logger

    func send(_ request: DataLinkRequest) async throws -> SentDataLinkReply {
        let reference = try BookingReference.requested(request.reference)
        guard composer.settings.manageURL != nil else {
            throw ProtocolError(.unavailable, "notifyd has no manage_url, so the email would have no link to confirm the request by", field: "reference")
        }
        let now = clock.now()
        if let earlier = try await store.lastQueued(reference: reference.description, idPrefix: MessageComposer.dataRequestPrefix(request.action)),
           now.timeIntervalSince(earlier) < Self.spacing {
            let minutes = Int((Self.spacing - now.timeIntervalSince(earlier)) / 60) + 1
            throw ProtocolError(.conflict, "a link for this booking was sent a moment ago; ask again in \(minutes) minute\(minutes == 1 ? "" : "s")", field: "reference")
        }
        let link: DataLinkReply = try await bookingd.call(
            MessageType.dataLink, DataLinkRequest(reference: reference.description, action: request.action), timeout: .seconds(2), attempts: 1
        )
        let consultant = try await directory.facts(link.appointment.consultantId)
        guard let delivery = composer.dataRequestDelivery(link, consultant: consultant) else {
            throw ProtocolError(.internalError, "the email could not be rendered (notifyd's log says why)", field: "reference")
        }
        try await store.queue([delivery], now: now)
        dispatcher.notify()
        Counter(label: "notify_data_links_total", dimensions: [("action", request.action.rawValue)]).increment()
        logger.info("data request link queued", metadata: [
            "reference": "\(reference.masked)", "action": "\(request.action.rawValue)", "delivery": "\(delivery.id)",
        ])
        return SentDataLinkReply(sentTo: ContactInfo.maskedEmail(link.appointment.contact.email), expiresAt: link.expiresAt)
    }
}
