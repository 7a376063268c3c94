import Foundation

/// When an appointment's reminder is due: `lead` before its start. A booking (or a move) made
/// inside the lead gets none unless `insideLead` says to send it at once: a client who booked
/// for tomorrow morning an hour ago needs no reminder of it.
public struct ReminderRule: Sendable, Equatable {
    public var lead: TimeInterval
    public var insideLead: Bool

    public init(lead: TimeInterval = 86_400, insideLead: Bool = false) {
        self.lead = lead
        self.insideLead = insideLead
    }

    /// The due time for an appointment at `start` booked (or moved) at `changedAt`, or nil.
    public func due(start: Date, changedAt: Date) -> Date? {
        guard start > changedAt else { return nil }
        let due = start.addingTimeInterval(-lead)
        if due >= changedAt { return due }
        return insideLead ? changedAt : nil
    }

    /// Whether a reminder due at `due` is still worth sending at `now` (after downtime, only
    /// while the appointment is ahead).
    public func stillUseful(start: Date, now: Date) -> Bool {
        start > now
    }
}
