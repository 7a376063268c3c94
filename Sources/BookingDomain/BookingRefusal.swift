import Foundation

/// Why a booking change was refused by the rules or by the state of the book. The store throws
/// these; the request server's edge maps each to a wire code, once.
public enum BookingRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Somebody took the slot between the offer and the commit (the unique index said no).
    case slotTaken
    /// The asked-for consultant is booked or away at that time.
    case consultantNotFree(consultantId: String)
    /// Nobody among the candidates is free at that time.
    case noConsultantFree
    case notFound(BookingReference)
    case transition(TransitionError)
    /// The client's email or phone already holds `limit` future bookings.
    case contactLimitReached(limit: Int, field: ContactField)

    public var message: String {
        switch self {
        case .slotTaken: "\(situation); choose another"
        case .consultantNotFree: situation
        case .noConsultantFree: "\(situation); choose another slot"
        case let .notFound(reference): "no appointment has the reference \(reference)"
        case let .transition(error): error.description
        case let .contactLimitReached(limit, field):
            "this \(field == .phone ? "phone number" : "email address") already has \(limit) upcoming "
                + (limit == 1 ? "booking" : "bookings") + "; reschedule or cancel one of them first"
        }
    }

    /// What happened to the asked slot, without advice: a refusal that can offer the next free
    /// times says them instead.
    public var situation: String {
        switch self {
        case .slotTaken: "that slot was just taken"
        case let .consultantNotFree(id): "consultant '\(id)' is not free at that time"
        case .noConsultantFree: "no consultant is free at that time"
        default: message
        }
    }

    public var description: String { message }
}
