import Foundation

/// When an appointment's personal data must go: `days` after its purpose was achieved
/// (152-FZ art. 21 part 4 gives the operator 30 days to destroy it then).
public struct RetentionRule: Sendable, Hashable {
    public static let defaultDays = 30

    public var days: Int

    public init(days: Int = defaultDays) {
        self.days = days
    }

    /// When the appointment's purpose was achieved, as seen at `now`: the end of a consultation
    /// that took place or was missed (`completed`, `no_show`, or `confirmed` whose end passed),
    /// or the moment it ended otherwise (`cancelled`, a released hold included: its `updatedAt`).
    /// nil while the appointment is still ahead or running, and for a hold, whatever its times:
    /// until it is released or confirmed its client may still come.
    public static func purposeAchieved(status: AppointmentStatus, end: Date, updatedAt: Date, now: Date) -> Date? {
        switch status {
        case .scheduled: nil
        case .confirmed: end <= now ? end : nil
        case .completed, .noShow: end
        case .cancelled: updatedAt
        }
    }

    /// The instant the appointment's personal data is due for erasure (nil: not yet known).
    public func dueAt(status: AppointmentStatus, end: Date, updatedAt: Date, now: Date) -> Date? {
        Self.purposeAchieved(status: status, end: end, updatedAt: updatedAt, now: now)
            .map { $0.addingTimeInterval(TimeInterval(days) * 86_400) }
    }

    public func isDue(status: AppointmentStatus, end: Date, updatedAt: Date, now: Date) -> Bool {
        dueAt(status: status, end: end, updatedAt: updatedAt, now: now).map { $0 <= now } ?? false
    }

    public func isDue(_ appointment: Appointment, now: Date) -> Bool {
        isDue(status: appointment.status, end: appointment.timeSlot.end, updatedAt: appointment.updatedAt, now: now)
    }

    /// Everything whose purpose was achieved before this instant is due at `now`: what the store
    /// asks for (an `end` or an `updatedAt` before it, by status).
    public func cutoff(now: Date) -> Date {
        now.addingTimeInterval(-TimeInterval(days) * 86_400)
    }
}

/// Why personal data was erased.
public enum ErasureReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The person (or an admin for them) asked.
    case request
    /// The retention period after the appointment's purpose ended.
    case retention
}

/// The record of one act of erasure, which the regulator's order requires the operator to keep:
/// what was erased, when, by whom and why, and no personal data. The client ids are random
/// UUIDs that name no one outside bookingd's database.
public struct ErasureRecord: Sendable, Hashable, Codable {
    /// Random, made for the act.
    public var id: UUID
    public var at: Date
    /// Who asked (an OS user), or `bookingd` for retention.
    public var user: String
    public var reason: ErasureReason
    public var clientIds: [UUID]
    /// Appointments whose contact was erased by this act.
    public var appointments: Int
    /// History entries whose reason (the client's words, or an admin's about them) was erased.
    public var historyEntries: Int
    /// Stored replies to retried requests (each holding a contact) deleted.
    public var idempotencyRecords: Int
    /// Client data keys destroyed: whatever they sealed, in every copy, is unreadable.
    public var clientKeys: Int
    /// Future appointments cancelled first (a request only).
    public var cancelled: Int

    public init(id: UUID, at: Date, user: String, reason: ErasureReason, clientIds: [UUID], appointments: Int, historyEntries: Int,
                idempotencyRecords: Int, clientKeys: Int, cancelled: Int = 0) {
        self.id = id
        self.at = at
        self.user = user
        self.reason = reason
        self.clientIds = clientIds
        self.appointments = appointments
        self.historyEntries = historyEntries
        self.idempotencyRecords = idempotencyRecords
        self.clientKeys = clientKeys
        self.cancelled = cancelled
    }

    /// Nothing was left to erase: the act was a repeat.
    public var erasedNothing: Bool {
        appointments == 0 && historyEntries == 0 && idempotencyRecords == 0 && clientKeys == 0 && cancelled == 0
    }
}
