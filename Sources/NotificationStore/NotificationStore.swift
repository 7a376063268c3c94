import Foundation
import FieldEncryption
import SharedTables

/// notifyd's store, on either engine: what the service reads and writes. Both shells run the
/// same logic (`NotificationTransaction`); each instance claims deliveries as its `Claimant`.
public protocol NotificationStore: Sendable {
    // Following the event stream
    func lastSequence() async throws -> UInt64
    /// Applies events in order, each at most once (by id), in one transaction; returns how many
    /// were new. An event at or below the last sequence applied is skipped.
    @discardableResult
    func apply(_ events: [AppliedEvent], now: Date) async throws -> Int
    /// Follows the stream from `sequence` on, whatever was applied before (bookingd's database
    /// was replaced by an older copy).
    func follow(from sequence: UInt64) async throws
    /// The epoch of bookingd's log that `lastSequence` counts in; nil until one was kept.
    func followedEpoch() async throws -> String?
    /// Keeps the epoch `lastSequence` counts in from now on.
    func keep(epoch: String) async throws

    // Sending
    /// This instance's claims left from before it stopped go again, in doubt; returns how many.
    func releaseOwnClaims() async throws -> Int
    /// Claims up to `limit` due deliveries for this instance's lease, oldest first.
    func claimDue(now: Date, limit: Int) async throws -> [StoredDelivery]
    func nextDue() async throws -> Date?
    /// Records outcomes of this instance's claims; returns the ids refused because the claim is
    /// no longer this instance's (its lease ran out and another instance took it over).
    @discardableResult
    func record(_ outcomes: [(id: String, outcome: AttemptOutcome)], at now: Date) async throws -> [String]
    func retry(id: String, now: Date) async throws -> StoredDelivery?

    // The CRM's leads
    /// The id of the booking's lead in `provider`'s CRM, once it was made.
    func lead(appointmentId: String, provider: String) async throws -> String?
    /// Keeps the booking's lead id; the first one kept stays (a lookup finds the same lead).
    func keepLead(appointmentId: String, provider: String, leadId: String, at now: Date) async throws

    // Reminders
    func dueReminders(now: Date, limit: Int) async throws -> [ReminderEntry]
    /// The reminder's messages join the deliveries, or, when the appointment is already past,
    /// the reminder is dropped: one transaction either way, and only if it is still scheduled
    /// for the same start (an event, or another instance, may have changed it meanwhile).
    func queue(_ reminder: ReminderEntry, deliveries: [NewDelivery], now: Date) async throws
    /// Messages that no event causes (the link that confirms a client's request about their
    /// data, a calendar conflict's notices); returns how many were new. A delivery's id is its
    /// key: one whose id is already kept is not queued again, whatever became of it.
    @discardableResult
    func queue(_ deliveries: [NewDelivery], now: Date) async throws -> Int
    /// Queued reminders whose email went out, which bookingd has not been told of yet.
    func remindersToAcknowledge() async throws -> [ReminderEntry]
    func acknowledge(appointmentId: String, start: Date) async throws
    func reminder(appointmentId: String) async throws -> ReminderEntry?

    // Reading
    func deliveries(reference: String) async throws -> [StoredDelivery]
    /// When the newest delivery for `reference` whose id begins with `idPrefix` was queued: read
    /// from plain columns, without opening what each one says.
    func lastQueued(reference: String, idPrefix: String) async throws -> Date?
    /// Every message that names one of these clients (bookingd's client ids), oldest first: notifyd's part of an export.
    func deliveries(clientIds: [String]) async throws -> [StoredDelivery]
    func delivery(id: String) async throws -> StoredDelivery?
    func failed(limit: Int) async throws -> [StoredDelivery]
    func attempts(deliveryId: String) async throws -> [DeliveryAttempt]
    /// How many deliveries are in each state.
    func counts() async throws -> [DeliveryState: Int]

    /// One admin command (retry, reload, backup) with the OS user who sent it.
    func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws

    // The master key (`MasterKeyRotation`)
    func masterKeyState() async throws -> MasterKeyState
    func rotateMasterKey(to next: MasterKey, limit: Int) async throws -> RotationProgress
    func finishMasterKeyRotation(to fingerprint: String) async throws -> String?
}

extension NotificationStore {
    public func dueReminders(now: Date) async throws -> [ReminderEntry] {
        try await dueReminders(now: now, limit: 500)
    }

    public func failed() async throws -> [StoredDelivery] {
        try await failed(limit: 500)
    }
}
