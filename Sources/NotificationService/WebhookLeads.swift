import Delivery
import Foundation
import Notifications

/// Any CRM: each change POSTed as `LeadWebhookPayload`, signed as Standard Webhooks says, like
/// @chat's webhook. The lead's id is the appointment's, so there is nothing to make first: the
/// first message about a booking makes its lead on the receiver's side. `webhook-id` is the
/// delivery's id, the same on every retry: receivers drop what they have seen.
struct WebhookLeads: LeadDestination {
    let settings: LeadWebhookSettings
    let http: HTTPTransport
    let clock: @Sendable () -> Date

    func create(_ change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) -> (leadId: String, applied: Bool) {
        try await post(change, deliveryId: deliveryId)
        return (change.appointment.id, true)
    }

    func update(leadId: String, with change: LeadChange, deliveryId: String, retrying: Bool) async throws(DeliveryFailure) {
        try await post(change, deliveryId: deliveryId)
    }

    private func post(_ change: LeadChange, deliveryId: String) async throws(DeliveryFailure) {
        _ = try await http.call(try request(change, deliveryId: deliveryId, timestamp: Int(clock().timeIntervalSince1970)))
    }

    /// Signed when sent, not when stored: receivers refuse old timestamps.
    func request(_ change: LeadChange, deliveryId: String, timestamp: Int) throws(DeliveryFailure) -> HTTPRequest {
        let body: [UInt8]
        do {
            body = try LeadWebhookPayload(change).encoded()
        } catch {
            throw .permanent("the lead's webhook payload cannot be encoded: \(error)")
        }
        return HTTPRequest(method: "POST", url: settings.url,
                           headers: [("Content-Type", "application/json")]
                               + StandardWebhook.headers(id: deliveryId, timestamp: timestamp, body: body, secret: settings.secret),
                           body: body, timeout: settings.timeout)
    }
}
