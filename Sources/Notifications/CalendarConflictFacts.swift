import BookingDomain
import BookingProtocol
import Foundation

/// What calsyncd found: a meeting in the consultant's own calendar over a booking, the booking's
/// event moved there, or deleted there and not recreated.
public enum CalendarConflictKind: String, Sendable, CaseIterable {
    case overlap, moved, deleted
}

/// Everything a calendar conflict's notice is rendered from. The notice names the booking by its
/// reference and time only: it goes out without asking bookingd, and an overlap found by time
/// alone has no reference.
public struct CalendarConflictFacts: Sendable {
    public var kind: CalendarConflictKind
    public var conflict: CalendarConflictBody
    /// The consultant whose calendar it is: the notice is in their zone, and theirs in their language.
    public var consultant: Consultant

    public init(kind: CalendarConflictKind, conflict: CalendarConflictBody, consultant: Consultant) {
        self.kind = kind
        self.conflict = conflict
        self.consultant = consultant
    }

    /// The consultant reads their own language; the team the suite's, since no booking's
    /// language is known here.
    public func language(of purpose: MessagePurpose) -> SupportedLocale {
        purpose.addressee == .consultant ? consultant.locale : .fallback
    }
}
