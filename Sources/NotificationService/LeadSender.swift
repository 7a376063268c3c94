import BookingDomain
import BookingProtocol
import Delivery
import Foundation
import Notifications
import NotificationStore

/// Sends one change of a booking's lead. The lead's id is kept in notifyd's database once the
/// CRM gave it, before anything else is sent about the booking (the store hands out a booking's
/// CRM deliveries one at a time, in order), so every later change updates that lead; a lead
/// made by an attempt whose answer was lost is looked up by the retry rather than made again.
struct LeadSender: Sendable {
    let provider: String
    let destination: any LeadDestination
    let store: any NotificationStore
    let clock: @Sendable () -> Date

    /// `attempt`: 1 for the first; a later one may follow an attempt that made the lead.
    func send(_ delivery: NewDelivery, attempt: Int) async throws {
        let change: LeadChange
        do {
            change = try WireJSON.decode(LeadChange.self, from: delivery.payload)
        } catch {
            throw DeliveryFailure.permanent("the stored lead change cannot be read: \(error)")
        }
        do {
            try await apply(change, deliveryId: delivery.id, attempt: attempt)
        } catch let failure as DeliveryFailure {
            // A CRM's refusal may quote what it was sent: kept and logged with the contact masked.
            var scrubbed = failure
            scrubbed.reason = Self.masked(failure.reason, contact: change.appointment.contact)
            throw scrubbed
        }
    }

    private func apply(_ change: LeadChange, deliveryId: String, attempt: Int) async throws {
        let appointmentId = change.appointment.id
        if let leadId = try await store.lead(appointmentId: appointmentId, provider: provider) {
            try await destination.update(leadId: leadId, with: change, deliveryId: deliveryId, retrying: attempt > 1)
            return
        }
        let made = try await destination.create(change, deliveryId: deliveryId, retrying: attempt > 1)
        try await store.keepLead(appointmentId: appointmentId, provider: provider, leadId: made.leadId, at: clock())
        if !made.applied {
            try await destination.update(leadId: made.leadId, with: change, deliveryId: deliveryId, retrying: attempt > 1)
        }
    }

    static func masked(_ text: String, contact: ContactBody) -> String {
        var text = text
        if !contact.email.isEmpty { text = text.replacingOccurrences(of: contact.email, with: ContactInfo.maskedEmail(contact.email)) }
        if !contact.phone.isEmpty { text = text.replacingOccurrences(of: contact.phone, with: ContactInfo.maskedPhone(contact.phone)) }
        return text
    }
}
