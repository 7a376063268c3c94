import BookingDomain
import Foundation

/// What became of one booking, as of the report's `now`: every booking is exactly one of these.
enum BookingFate: Hashable {
    case cancelled(by: Actor)
    case attended
    case noShow
    /// Over by more than the grace period and still confirmed: nobody marked it.
    case unmarked
    case pending

    init(_ booking: BookedConsultation, now: Date, unmarkedAfter: TimeInterval) {
        switch booking.status {
        case .cancelled:
            self = .cancelled(by: booking.cancellingActor)
        case .completed:
            self = .attended
        case .noShow:
            self = .noShow
        case .confirmed:
            self = now.timeIntervalSince(booking.slot.end) > unmarkedAfter ? .unmarked : .pending
        case .scheduled:
            // A hold is released, never marked: past its slot it is the system's to end.
            self = .pending
        }
    }
}

extension BookedConsultation {
    /// Who ended the booking; a release is always the system's.
    var cancellingActor: Actor {
        guard let ending = changes.last(where: { $0.kind == .cancelled || $0.kind == .released }) else { return .system }
        return ending.kind == .released ? .system : ending.actor
    }

    var moves: Int { changes.count { $0.kind == .rescheduled } }

    /// The slot the client first chose (before any move).
    var bookedSlot: DateTimeRange {
        changes.first(where: { $0.kind == .created })?.newSlot ?? slot
    }
}
