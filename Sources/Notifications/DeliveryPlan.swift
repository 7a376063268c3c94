import BookingProtocol
import Foundation

/// How a message travels.
public enum Channel: String, Sendable, Codable, CaseIterable {
    case email
    case sms
    case chat
    /// A lead in the CRM (`LeadChange`): one per appointment, created and then updated.
    case crm
}

/// Who a message is for.
public enum Audience: String, Sendable, Codable, CaseIterable {
    case client
    case consultant
    case team
}

/// One message to send: what it says (`purpose`), over which channel. Its `id` is stable, so an
/// event applied twice (a replay after a crash) plans the same ids and the store keeps one.
public struct PlannedDelivery: Sendable, Equatable {
    public var id: String
    public var purpose: MessagePurpose
    public var channel: Channel
    public var audience: Audience

    public init(id: String, purpose: MessagePurpose, channel: Channel, audience: Audience) {
        self.id = id
        self.purpose = purpose
        self.channel = channel
        self.audience = audience
    }
}

/// Which messages a change produces: the client always by email and by SMS when SMS is on; the
/// consultant by email when they have an address; the team over `@chat` when it is on. A move to
/// another consultant is a new booking for the new one and a release for the one who had it.
/// A held (`scheduled`) booking concerns its client only until it is confirmed: bots' holds
/// must not fill consultants' inboxes and the team chat, so the consultant and the team hear of
/// a booking when it is confirmed, as if it were made then.
public struct DeliveryPlan: Sendable, Equatable {
    public var sms: Bool
    public var chat: Bool

    public init(sms: Bool, chat: Bool) {
        self.sms = sms
        self.chat = chat
    }

    /// `consultantsWithEmail`: the ids of the event's consultants (now and before) who have an address.
    public func deliveries(for event: EventBody, consultantsWithEmail: Set<String>) -> [PlannedDelivery] {
        let purposes: (client: MessagePurpose, consultant: MessagePurpose, team: MessagePurpose)
        var released: String?
        func delivery(_ purpose: MessagePurpose, _ channel: Channel, _ audience: Audience) -> PlannedDelivery {
            PlannedDelivery(id: "\(event.id).\(purpose.rawValue).\(channel.rawValue)", purpose: purpose, channel: channel, audience: audience)
        }
        func clientOnly(_ purpose: MessagePurpose) -> [PlannedDelivery] {
            [delivery(purpose, .email, .client)]
                + (sms && !event.appointment.contact.phone.isEmpty ? [delivery(purpose, .sms, .client)] : [])
        }
        let held = event.appointment.status == "scheduled"
        switch event.kind {
        case .created where held: return clientOnly(.clientConfirmRequest)
        case .rescheduled where held: return clientOnly(.clientRescheduled)
        case .released: return clientOnly(.clientHoldReleased)
        case .created, .confirmed: purposes = (.clientConfirmation, .consultantCreated, .teamCreated)
        case .rescheduled:
            if let previous = event.previous, previous.consultantId != event.appointment.consultantId {
                released = previous.consultantId
                purposes = previous.start == event.appointment.start
                    ? (.clientConsultantChanged, .consultantCreated, .teamConsultantChanged)
                    : (.clientRescheduled, .consultantCreated, .teamRescheduled)
            } else {
                purposes = (.clientRescheduled, .consultantRescheduled, .teamRescheduled)
            }
        case .cancelled: purposes = (.clientCancelled, .consultantCancelled, .teamCancelled)
        // Outcomes after the meeting and the reminder mark tell nobody anything new.
        case .attended, .noShow, .reminderSent: return []
        // Erasure tells nobody anything (its contact is empty): notifyd's own data goes by other means.
        case .erased: return []
        }
        var planned = [delivery(purposes.client, .email, .client)]
        if sms && !event.appointment.contact.phone.isEmpty { planned.append(delivery(purposes.client, .sms, .client)) }
        if consultantsWithEmail.contains(event.appointment.consultantId) { planned.append(delivery(purposes.consultant, .email, .consultant)) }
        if let released, consultantsWithEmail.contains(released) { planned.append(delivery(.consultantReleased, .email, .consultant)) }
        if chat { planned.append(delivery(purposes.team, .chat, .team)) }
        return planned
    }

    /// The reminder for an appointment at `start`: the start is part of the id, so the reminder
    /// for a new time after a reschedule is a new message, and the old one can never be sent twice.
    /// `consultantHasEmail`: the consultant gets theirs too, with the links that mark the outcome.
    public func reminders(appointmentId: String, start: Date, phone: String, consultantHasEmail: Bool = false) -> [PlannedDelivery] {
        let key = ReminderKey(appointmentId: appointmentId, start: start)
        var planned = [PlannedDelivery(id: key.deliveryId(.email), purpose: .clientReminder, channel: .email, audience: .client)]
        if sms && !phone.isEmpty {
            planned.append(PlannedDelivery(id: key.deliveryId(.sms), purpose: .clientReminder, channel: .sms, audience: .client))
        }
        if consultantHasEmail {
            planned.append(PlannedDelivery(id: key.consultantDeliveryId, purpose: .consultantReminder, channel: .email, audience: .consultant))
        }
        return planned
    }
}
