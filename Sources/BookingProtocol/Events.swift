import Foundation

/// What happened to an appointment. The PUB topic is `booking.<kind>`.
public enum EventKind: String, Codable, Sendable, CaseIterable {
    case created
    case rescheduled
    case cancelled
    /// Marked attended: the appointment is `completed`. Marked again, it may become `no_show`.
    case attended
    /// Marked no-show: the appointment is `no_show`. Marked again, it may become `completed`.
    case noShow = "no_show"
    case reminderSent = "reminder_sent"
    /// A held booking confirmed by its client.
    case confirmed
    /// A held booking its client did not confirm in time, cancelled by the system.
    case released
    /// The appointment's personal data was erased (on request or after the retention period):
    /// the appointment stays, with an empty contact and `erased_at`.
    case erased

    public var topic: String { "booking." + rawValue }
}

/// One published change. `sequence` is gap-free from 1: a subscriber that sees a jump asks for
/// a replay of what lies between.
public struct EventBody: Codable, Sendable, Equatable {
    public var sequence: UInt64
    /// Unique per event; consumers dedupe by it.
    public var id: String
    public var kind: EventKind
    public var occurredAt: Date
    /// The appointment as it is after the change.
    public var appointment: AppointmentBody
    /// For a reschedule: where the appointment was before.
    public var previous: BookedSlotBody?
    public var actor: String
    /// Internal: why, as the admin gave it (kept in the history, shown to admins only).
    public var reason: String?
    /// What the client and the team are told about why; never the internal `reason`.
    public var clientMessage: String?
    /// The id of the command that caused the change.
    public var correlationId: String?
    /// On `booking.created` of a held booking: how its client confirms it (for notifyd's
    /// "please confirm" message only; no reply to a client carries it).
    public var confirmation: ConfirmationBody?

    public init(sequence: UInt64, id: String, kind: EventKind, occurredAt: Date, appointment: AppointmentBody,
                previous: BookedSlotBody? = nil, actor: String, reason: String? = nil, clientMessage: String? = nil, correlationId: String? = nil,
                confirmation: ConfirmationBody? = nil) {
        self.sequence = sequence
        self.id = id
        self.kind = kind
        self.occurredAt = occurredAt
        self.appointment = appointment
        self.previous = previous
        self.actor = actor
        self.reason = reason
        self.clientMessage = clientMessage
        self.correlationId = correlationId
        self.confirmation = confirmation
    }

    /// The PUB frames of this event, in `epoch`.
    public func frames(epoch: String? = nil) throws -> [[UInt8]] {
        let header = MessageHeader(id: id, correlationId: correlationId, sentAt: occurredAt, sequence: sequence, epoch: epoch)
        return try Envelope(type: kind.topic, header: header, encoding: self).eventFrames(topic: kind.topic)
    }
}

/// What proves a held booking's client got its message: the link's token and the SMS code,
/// both valid until the hold ends and for confirming that booking only.
public struct ConfirmationBody: Codable, Sendable, Equatable {
    public var token: String
    public var code: String

    public init(token: String, code: String) {
        self.token = token
        self.code = code
    }
}
