import BookingProtocol
import Foundation

/// What happened to a booking, as its lead in the CRM learns it.
public enum LeadChangeKind: String, Codable, Sendable, CaseIterable {
    case created
    case rescheduled
    case cancelled
    case attended
    case noShow = "no_show"

    /// The webhook's `type`: `lead.created`, `lead.no_show`...
    public var webhookType: String { "lead." + rawValue }

    public var purpose: MessagePurpose {
        switch self {
        case .created: .leadCreated
        case .rescheduled: .leadRescheduled
        case .cancelled: .leadCancelled
        case .attended: .leadAttended
        case .noShow: .leadNoShow
        }
    }
}

/// One change of a booking's lead, stored (sealed, like every message) when its event arrives
/// and turned into the provider's requests when it is sent: the lead's id is known only then.
/// `appointment` carries the full contact and topic (bookingd's `contact` answer).
public struct LeadChange: Codable, Sendable, Equatable {
    public var kind: LeadChangeKind
    public var occurredAt: Date
    public var appointment: AppointmentBody
    /// A reschedule's old start.
    public var previousStart: Date?
    /// A cancellation by the system rather than a person: `hold_released` (the client did not
    /// confirm a held booking in time).
    public var cause: String?

    public init(kind: LeadChangeKind, occurredAt: Date, appointment: AppointmentBody, previousStart: Date? = nil, cause: String? = nil) {
        self.kind = kind
        self.occurredAt = occurredAt
        self.appointment = appointment
        self.previousStart = previousStart
        self.cause = cause
    }

    public static let holdReleased = "hold_released"

    /// The change an event makes to the booking's lead, if any. A hold is a lead too (a client
    /// who left their contact); its confirmation changes nothing the CRM keeps. A move to another
    /// consultant at the same time is not a reschedule for the lead. An erasure is not sent:
    /// the CRM's copy is the operator's to erase (docs/integrations.md).
    public static func kind(of event: EventBody) -> LeadChangeKind? {
        switch event.kind {
        case .created: .created
        case .rescheduled: event.previous.map { $0.start == event.appointment.start } == true ? nil : .rescheduled
        case .cancelled, .released: .cancelled
        case .attended: .attended
        case .noShow: .noShow
        case .confirmed, .reminderSent, .erased: nil
        }
    }

    /// `complete`: the event with bookingd's answer to `contact` in its appointment.
    public init?(_ complete: EventBody) {
        guard let kind = Self.kind(of: complete) else { return nil }
        self.init(kind: kind, occurredAt: complete.occurredAt, appointment: complete.appointment,
                  previousStart: kind == .rescheduled ? complete.previous?.start : nil,
                  cause: complete.kind == .released ? Self.holdReleased : nil)
    }

    /// The delivery's id: stable for the event, so a replay plans the same one and the store keeps
    /// one; it is also the webhook's `webhook-id`.
    public static func deliveryId(eventId: String, kind: LeadChangeKind) -> String {
        "\(eventId).\(kind.purpose.rawValue).\(Channel.crm.rawValue)"
    }
}
