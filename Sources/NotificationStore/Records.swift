import BookingProtocol
import Foundation
import Notifications

/// Where a delivery stands. `sending` lasts only while a transport has it; one found at start
/// was in flight when notifyd stopped.
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    case pending
    case sending
    case sent
    /// Gave up (a permanent failure, or transient ones past the give-up age): a dead letter.
    case failed
    /// Withdrawn before it went: a reminder for a time the appointment no longer has.
    case cancelled
}

/// A message to send, rendered once: retries send these very bytes. Its recipient and payload
/// are kept sealed under its client's data key, the team's and consultants' messages too, since
/// they name the client.
public struct NewDelivery: Sendable, Equatable {
    public var id: String
    public var appointmentId: String
    /// Whose data key seals it: the appointment's client.
    public var clientId: String
    public var reference: String
    public var purpose: MessagePurpose
    public var channel: Channel
    public var audience: Audience
    /// An email address, a phone number, or `team` for @chat.
    public var recipient: String
    public var messageId: String?
    public var payload: [UInt8]

    public init(id: String, appointmentId: String, clientId: String, reference: String, purpose: MessagePurpose, channel: Channel, audience: Audience,
                recipient: String, messageId: String? = nil, payload: [UInt8]) {
        self.id = id
        self.appointmentId = appointmentId
        self.clientId = clientId
        self.reference = reference
        self.purpose = purpose
        self.channel = channel
        self.audience = audience
        self.recipient = recipient
        self.messageId = messageId
        self.payload = payload
    }
}

extension NewDelivery {
    /// The recipient as logs and `bookctl` show it.
    public var maskedRecipient: String { ContactMasking.recipient(recipient, channel: channel) }

    /// A server's answer about this delivery as it is kept and shown: with its recipient masked.
    public func scrubbed(_ answer: String) -> String { ContactMasking.scrub(answer, recipient: recipient, channel: channel) }
}

public struct StoredDelivery: Sendable, Equatable {
    public var delivery: NewDelivery
    public var state: DeliveryState
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var firstAttemptAt: Date?
    public var sentAt: Date?
    public var lastError: String?
    /// It was being sent when notifyd stopped, so it was sent again: the receiver may have it
    /// twice (with the same Message-ID, which mail clients fold into one).
    public var inDoubt: Bool
}

/// One attempt of a delivery, for `bookctl notifications`.
public struct DeliveryAttempt: Sendable, Equatable {
    public var at: Date
    public var outcome: String
    public var error: String?
}

/// An appointment's reminder: scheduled → queued (its messages are in the deliveries) →
/// acknowledged (bookingd marked it sent), or dropped (cancelled, or moved inside the lead).
public enum ReminderState: String, Sendable, Codable {
    case scheduled
    case queued
    case acknowledged
    case dropped
}

public struct ReminderEntry: Sendable, Equatable {
    /// The appointment as of the last change, without the client's contact and topic: the
    /// reminder asks bookingd for them when it is due, so they are not kept here for days.
    public private(set) var appointment: AppointmentBody
    public var dueAt: Date
    public var state: ReminderState

    public init(appointment: AppointmentBody, dueAt: Date, state: ReminderState = .scheduled) {
        self.appointment = appointment
        self.appointment.contact = ContactBody(name: "", email: "", phone: "")
        self.appointment.topic = nil
        self.dueAt = dueAt
        self.state = state
    }

    public var appointmentId: String { appointment.id }
    public var clientId: String { appointment.clientId }
    public var reference: String { appointment.reference }
    public var start: Date { appointment.start }
    public var key: ReminderKey { ReminderKey(appointmentId: appointment.id, start: appointment.start) }
}

/// What an event does to the appointment's reminder.
public enum ReminderChange: Sendable, Equatable {
    case keep
    /// Schedule (or move) it; pending reminder messages for another time are withdrawn.
    case schedule(ReminderEntry)
    /// No reminder any more; pending reminder messages are withdrawn.
    case drop(appointmentId: String)
}

/// Everything one event causes, written in one transaction with the event's sequence number.
public struct AppliedEvent: Sendable, Equatable {
    public var eventId: String
    public var sequence: UInt64
    public var deliveries: [NewDelivery]
    public var reminder: ReminderChange
    /// A `booking.erased` event: the appointment whose messages notifyd must erase too.
    public var erasure: ErasedAppointment?

    public init(eventId: String, sequence: UInt64, deliveries: [NewDelivery], reminder: ReminderChange, erasure: ErasedAppointment? = nil) {
        self.eventId = eventId
        self.sequence = sequence
        self.deliveries = deliveries
        self.reminder = reminder
        self.erasure = erasure
    }
}

/// An appointment whose personal data bookingd erased (on request or by retention), and its client.
public struct ErasedAppointment: Sendable, Equatable {
    public var appointmentId: String
    public var clientId: String

    public init(appointmentId: String, clientId: String) {
        self.appointmentId = appointmentId
        self.clientId = clientId
    }
}
