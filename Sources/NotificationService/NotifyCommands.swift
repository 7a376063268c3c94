import BookingDomain
import BookingProtocol
import DaemonKit
import Delivery
import Foundation
import Logging
import NotificationStore

/// notifyd's admin queries: what was sent for an appointment, the dead letters, sending one
/// again, and a test message.
struct NotifyCommands: Sendable {
    let store: any NotificationStore
    let transports: Transports
    let intake: EventIntake
    let clock: SuiteClock
    let dispatcher: WakeSignal
    let control: DaemonControl
    let dataRequests: DataRequestMail
    let conflicts: CalendarConflictNotices
    let logger: Logger

    var routes: RequestRoutes {
        var routes = RequestRoutes()
        routes.on(MessageType.notifications, NotificationsRequest.self) { request, _ in
            let limit = try PageLimit.notifications.resolved(request.limit)
            if let text = request.reference {
                let reference = try BookingReference.requested(text)
                return NotificationsReply(notifications: try await bodies(try await store.deliveries(reference: reference.description).prefix(limit)))
            }
            guard request.failed == true else {
                throw ProtocolError(.validationFailed, "ask for one appointment's notifications (reference) or the dead letters (failed: true)", field: "reference")
            }
            return NotificationsReply(notifications: try await bodies(try await store.failed(limit: limit)))
        }
        routes.on(MessageType.notificationRetry, NotificationRetryRequest.self) { request, header in
            guard let existing = try await store.delivery(id: request.id) else {
                throw ProtocolError(.notFound, "no notification has the id '\(request.id)' (bookctl notifications REF lists them)", field: "id")
            }
            guard existing.state != .sending else {
                throw ProtocolError(.conflict, "the notification is being sent right now", field: "id")
            }
            guard let retried = try await store.retry(id: request.id, now: clock.now()) else {
                throw ProtocolError(.notFound, "no notification has the id '\(request.id)'", field: "id")
            }
            logger.notice("notification sent again on request", metadata: ["delivery": "\(request.id)", "user": "\(header.user ?? "-")"])
            dispatcher.notify()
            return try await body(retried)
        }
        routes.on(MessageType.testEmail, TestEmailRequest.self) { request, header in
            let address = request.address.trimmingCharacters(in: .whitespaces)
            guard NotifySettings.isAddress(address) else {
                throw ProtocolError(.validationFailed, "'\(address)' is not an email address such as ops@example.com", field: "address")
            }
            let reply: TestEmailReply
            do throws(DeliveryFailure) {
                reply = try await transports.sendTestEmail(to: address, now: clock.now())
            } catch {
                throw ProtocolError(.unavailable, "the test message was not sent through \(transports.mailTransport): \(error.reason)", field: "address")
            }
            logger.notice("test message sent on request", metadata: ["transport": "\(reply.transport)", "user": "\(header.user ?? "-")"])
            return reply
        }
        // notifyd's part of `bookctl privacy export`: audited as every admin command that is no query.
        routes.on(MessageType.export, MessagesExportRequest.self) { request, _ in
            guard (1...1000).contains(request.clientIds.count), request.clientIds.allSatisfy({ UUID(uuidString: $0) != nil }) else {
                throw ProtocolError(.validationFailed, "client_ids is 1 to 1000 client ids as bookingd's export gives them", field: "client_ids")
            }
            var messages: [ExportedMessageBody] = []
            for stored in try await store.deliveries(clientIds: request.clientIds.map { $0.lowercased() }) {
                let delivery = stored.delivery
                let erased = delivery.payload.isEmpty
                messages.append(ExportedMessageBody(
                    notification: try await body(stored),
                    recipient: delivery.audience == .client && !erased ? delivery.recipient : nil,
                    content: erased ? nil : String(decoding: delivery.payload, as: UTF8.self)
                ))
            }
            return MessagesExportReply(messages: messages)
        }
        // From the manage page (webd): the link goes to the client's own address.
        routes.on(MessageType.sendDataLink, DataLinkRequest.self) { request, _ in try await dataRequests.send(request) }
        // From calsyncd only (PeerAccess).
        routes.on(MessageType.calendarConflict, CalendarConflictNotice.self) { notice, _ in try await conflicts.tell(notice) }
        routes.on(MessageType.ping, Empty.self) { _, _ in
            let counts = try await store.counts()
            let failed = counts[.failed] ?? 0
            return control.pingReply(
                state: "ready", lastSequence: await intake.lastSequence, backlog: UInt64((counts[.pending] ?? 0) + (counts[.sending] ?? 0)),
                warnings: failed > 0 ? ["\(failed) dead letter\(failed == 1 ? "" : "s") (bookctl notifications --failed)"] : []
            )
        }
        control.addRoutes(to: &routes)
        return routes
    }

    private func bodies(_ deliveries: some Sequence<StoredDelivery>) async throws -> [NotificationBody] {
        var bodies: [NotificationBody] = []
        for stored in deliveries { bodies.append(try await body(stored)) }
        return bodies
    }

    private func body(_ stored: StoredDelivery) async throws -> NotificationBody {
        let delivery = stored.delivery
        let attempts = try await store.attempts(deliveryId: delivery.id)
        return NotificationBody(
            id: delivery.id, reference: delivery.reference, purpose: delivery.purpose.rawValue, channel: delivery.channel.rawValue,
            audience: delivery.audience.rawValue, recipient: delivery.maskedRecipient, state: stored.state.rawValue,
            attempts: stored.attempts, createdAt: stored.createdAt, sentAt: stored.sentAt,
            nextAttemptAt: stored.state == .pending ? stored.nextAttemptAt : nil,
            // The store keeps errors with the recipient masked (older ones were masked by its migration).
            lastError: stored.lastError, messageId: delivery.messageId, inDoubt: stored.inDoubt,
            history: attempts.map { NotificationAttemptBody(at: $0.at, outcome: $0.outcome, error: $0.error) }
        )
    }
}
