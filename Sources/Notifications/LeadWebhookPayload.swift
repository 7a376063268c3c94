import BookingProtocol
import Foundation

/// The generic CRM webhook's body, a public contract (docs/integrations.md, "CRM"): Standard
/// Webhooks' recommended `{type, timestamp, data}` with the lead in `data`. Keys are snake_case,
/// times RFC 3339 UTC; a key without a value is left out.
public struct LeadWebhookPayload: Codable, Sendable, Equatable {
    public var type: String
    public var timestamp: Date
    public var data: Lead

    public struct Lead: Codable, Sendable, Equatable {
        /// The lead's id: the appointment's (a UUID), the same in every message about it.
        public var leadId: String
        public var reference: String
        /// bookingd's status after the change: scheduled (held), confirmed, cancelled, completed, no_show.
        public var status: String
        public var start: Date
        public var end: Date
        public var previousStart: Date?
        /// The client's own zone and language.
        public var timeZone: String
        public var locale: String
        public var contact: Contact
        public var topic: String?
        public var source: LeadSourceBody?
        public var cause: String?
    }

    public struct Contact: Codable, Sendable, Equatable {
        public var name: String
        public var email: String
        public var phone: String
        /// The company the client named, if any.
        public var company: String?
    }

    public init(_ change: LeadChange) {
        let appointment = change.appointment
        type = change.kind.webhookType
        timestamp = change.occurredAt
        data = Lead(
            leadId: appointment.id, reference: appointment.reference, status: appointment.status, start: appointment.start, end: appointment.end,
            previousStart: change.previousStart, timeZone: appointment.timeZone, locale: appointment.locale,
            contact: Contact(name: appointment.contact.name, email: appointment.contact.email, phone: appointment.contact.phone,
                             company: appointment.contact.company.flatMap { $0.isEmpty ? nil : $0 }),
            topic: appointment.topic, source: appointment.source.flatMap { $0.isEmpty ? nil : $0 }, cause: change.cause
        )
    }

    /// The bytes sent and signed: the same change always gives the same body.
    public func encoded() throws -> [UInt8] {
        try WireJSON.canonical(self)
    }
}
