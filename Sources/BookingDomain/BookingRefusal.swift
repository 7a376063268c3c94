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
        case .slotTaken: "that slot was just taken; choose another"
        case let .consultantNotFree(id): "consultant '\(id)' is not free at that time"
        case .noConsultantFree: "no consultant is free at that time; choose another slot"
        case let .notFound(reference): "no appointment has the reference \(reference)"
        case let .transition(error): error.message
        case let .contactLimitReached(limit, field):
            "this \(field == .phone ? "phone number" : "email address") already has \(limit) upcoming "
                + (limit == 1 ? "booking" : "bookings") + "; reschedule or cancel one of them first"
        }
    }

    public var description: String { message }
}
