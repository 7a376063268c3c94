import BookingAnalytics
import BookingDomain
import BookingProtocol
import CivilTime
import FieldEncryption
import Foundation
import SharedTables

/// Who asked for a change and how to recognise a retry of it.
public struct CommandContext: Sendable {
    public var command: String
    public var correlationId: String
    public var idempotencyKey: String?
    /// A digest of the request body: the same key with another body is a client bug, refused.
    public var digest: String
    public var actor: Actor
    public var user: String?
    public var now: Date

    public init(command: String, correlationId: String, idempotencyKey: String?, digest: String, actor: Actor, user: String?, now: Date) {
        self.command = command
        self.correlationId = correlationId
        self.idempotencyKey = idempotencyKey
        self.digest = digest
        self.actor = actor
        self.user = user
        self.now = now
    }
}

/// A booking the calendar allows: the slot, and the consultants the calendar lets work then
/// (the store decides among them by what is booked).
public struct NewBooking: Sendable {
    public var reference: BookingReference
    public var slot: DateTimeRange
    public var candidates: [String]
    public var requestedConsultant: String?
    public var horizonEnd: Date
    public var contact: ContactInfo
    public var timeZone: String
    public var locale: String
    /// The most future bookings one email or one phone may hold (nil: no limit), counted inside
    /// the transaction that writes this one, so two racing bookings of a contact cannot both pass.
    public var contactLimit: Int?
    /// Each candidate's meeting format: the chosen one's is fixed on the booking.
    public var meetingFormats: [String: MeetingFormat]
    public var topic: String?
    /// Hold-then-confirm: the booking is `scheduled` until the hold's end; nil: confirmed at once.
    public var hold: Hold?
    /// What the client consented to on the booking form, kept with the booking in its transaction.
    public var consents: [ConsentRecord]
    /// Candidates' buffers and daily limits, checked against their other bookings.
    public var limits: [String: BookingLimits]
    /// Where the visit that booked came from.
    public var source: LeadSource?

    public init(reference: BookingReference, slot: DateTimeRange, candidates: [String], requestedConsultant: String?, horizonEnd: Date,
                contact: ContactInfo, timeZone: String, locale: String, contactLimit: Int? = nil,
                meetingFormats: [String: MeetingFormat] = [:], topic: String? = nil, hold: Hold? = nil, consents: [ConsentRecord] = [],
                limits: [String: BookingLimits] = [:], source: LeadSource? = nil) {
        self.source = source
        self.consents = consents
        self.limits = limits
        self.reference = reference
        self.slot = slot
        self.candidates = candidates
        self.requestedConsultant = requestedConsultant
        self.horizonEnd = horizonEnd
        self.contact = contact
        self.timeZone = timeZone
        self.locale = locale
        self.contactLimit = contactLimit
        self.meetingFormats = meetingFormats
        self.topic = topic
        self.hold = hold
    }
}

/// A new booking's hold: until when, and what its client confirms it with (the `booking.created`
/// event carries it to notifyd).
public struct Hold: Sendable {
    public var expiresAt: Date
    public var confirmation: ConfirmationBody

    public init(expiresAt: Date, confirmation: ConfirmationBody) {
        self.expiresAt = expiresAt
        self.confirmation = confirmation
    }
}

public struct Move: Sendable {
    public var reference: BookingReference
    public var slot: DateTimeRange
    public var candidates: [String]
    public var requestedConsultant: String?
    public var horizonEnd: Date
    public var reason: String?
    /// What the client and the team are told (`EventBody.clientMessage`).
    public var clientMessage: String?
    /// Each candidate's meeting format: the booking takes the new consultant's if it changes hands.
    public var meetingFormats: [String: MeetingFormat]
    /// As `NewBooking.limits`.
    public var limits: [String: BookingLimits]

    public init(reference: BookingReference, slot: DateTimeRange, candidates: [String], requestedConsultant: String?, horizonEnd: Date, reason: String?,
                clientMessage: String? = nil, meetingFormats: [String: MeetingFormat] = [:], limits: [String: BookingLimits] = [:]) {
        self.limits = limits
        self.reference = reference
        self.slot = slot
        self.candidates = candidates
        self.requestedConsultant = requestedConsultant
        self.horizonEnd = horizonEnd
        self.reason = reason
        self.clientMessage = clientMessage
        self.meetingFormats = meetingFormats
    }
}

public enum Change: Sendable {
    case book(NewBooking)
    case reschedule(Move)
    /// `reason` goes to the history; `clientMessage` is what the client and the team are told.
    case cancel(reference: BookingReference, reason: String?, clientMessage: String? = nil)
    case markReminderSent(reference: BookingReference)
    /// The client confirms a hold (its proof was checked before).
    case confirm(reference: BookingReference)
    /// The system releases a hold that ended unconfirmed.
    case release(reference: BookingReference)
    /// A consultant or an admin marks the outcome (`completed` or `no_show`); `note` goes to the
    /// history. The same outcome again is answered as it is, without a change.
    case markOutcome(reference: BookingReference, outcome: AppointmentStatus, note: String?)
}

/// What a change answered, and whether it is the stored answer to an earlier request with the
/// same idempotency key.
public struct ChangeResult: Sendable {
    public var replayed: Bool
    public var appointment: AppointmentBody
    /// The reply to the command, encoded once: what the idempotency record keeps, so a retry gets
    /// the same bytes as the first answer.
    public var reply: [UInt8]
}

/// An idempotency key used again for another command or another body: a client bug, refused.
public struct IdempotencyKeyReused: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String

    public init(key: String) {
        self.key = key
    }

    public var description: String { "the idempotency key '\(key)' was already used for a different request" }
}

/// An event as the outbox holds it: its body is the JSON that goes on the wire.
public struct OutboxEvent: Sendable {
    public var sequence: UInt64
    public var id: String
    public var kind: EventKind
    public var occurredAt: Date
    public var correlationId: String?
    public var body: [UInt8]

    /// The PUB frames: `[topic, signature, header, body]`, the header naming the store's `epoch`.
    public func frames(epoch: String?) -> [[UInt8]] {
        let header = MessageHeader(id: id, correlationId: correlationId, sentAt: occurredAt, sequence: sequence, epoch: epoch)
        return Envelope(type: kind.topic, header: header, body: body).eventFrames(topic: kind.topic)
    }
}

/// What an appointment holds of its client's own words and contact: what only the daemons that
/// send it on (notifyd, calsyncd) may ask for, since events carry none of it.
public struct PersonalData: Sendable, Equatable {
    public var contact: ContactInfo
    /// What the client would like to discuss.
    public var topic: String?
    /// The client's own words on the change that caused an event (their reason for a cancel or a
    /// move), when asked with that event's id and the client made the change.
    public var clientMessage: String?

    public init(contact: ContactInfo, topic: String?, clientMessage: String?) {
        self.contact = contact
        self.topic = topic
        self.clientMessage = clientMessage
    }
}

/// bookingd's persistence. Every change is one transaction holding the appointment, its
/// history entry, an audit row, the outbox event and the idempotency record. A change the rules
/// or the book refuse throws `BookingRefusal`; a reused idempotency key `IdempotencyKeyReused`;
/// a database that cannot serve `StoreError`.
public protocol BookingStore: Sendable {
    func apply(_ change: Change, context: CommandContext) async throws -> ChangeResult
    /// The stored answer to an earlier command with this idempotency key, if any (checked again
    /// inside the write, so two racing retries still do the change once).
    func storedAnswer(idempotencyKey: String, command: String, digest: String) async throws -> ChangeResult?
    func appointment(reference: BookingReference) async throws -> Appointment?
    func history(reference: BookingReference) async throws -> [HistoryEntryBody]?
    /// The appointment's personal data (nil: no such appointment); `eventId`: also the client's
    /// words on the change that caused that event.
    func personalData(reference: BookingReference, eventId: String?) async throws -> PersonalData?
    /// In the order of slot start, consultant and reference; `after`: only those after the
    /// appointment with this reference in that order (a page's cursor; none if it does not exist).
    func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int, email: String?, phone: String?,
                      after: BookingReference?) async throws -> [Appointment]
    /// Committed events after `sequence`, oldest first, and the newest committed sequence.
    func events(after sequence: UInt64, limit: Int) async throws -> (events: [EventBody], lastSequence: UInt64)
    /// The newest committed event's sequence number (0 before the first).
    func lastSequence() async throws -> UInt64
    /// Committed events after `sequence` as they are stored, ready to publish without decoding.
    func outbox(after sequence: UInt64, limit: Int) async throws -> [OutboxEvent]
    /// Active appointments starting in `[from, to)` and the sequence number that view is consistent with.
    func snapshot(from: Date, to: Date) async throws -> (sequence: UInt64, booked: [BookedSlotBody])
    func publishedThrough() async throws -> UInt64
    /// The identity of the database the sequence numbers count in: made with the database,
    /// renewed when it is restored from a backup. Events carry it so a follower notices that the
    /// numbers started over.
    func epoch() async throws -> String
    func setPublishedThrough(_ sequence: UInt64) async throws
    func pruneIdempotencyRecords(olderThan: Date) async throws -> Int
    /// An admin command in the audit trail (changes record theirs in their own transaction).
    func recordAudit(command: String, user: String, outcome: String, correlationId: String, at: Date) async throws
    /// The references of holds that ended by `now`, oldest end first.
    func expiredHolds(at now: Date, limit: Int) async throws -> [BookingReference]
    /// Whether a contact (by email) ever confirmed a hold or came to a consultation: automatic
    /// hold-then-confirm mode counts the bookings of contacts that did neither.
    func isKnownContact(email: String) async throws -> Bool
    /// The key that signs holds' confirmation tokens: made once, kept with the bookings (and
    /// in their backups), so a restart keeps issued links valid.
    func confirmationKey() async throws -> [UInt8]
    /// Why new bookings are paused, or nil when they are taken.
    func pauseReason() async throws -> String?
    /// Pauses (a reason) or resumes (nil), and writes the audit row, in one transaction.
    func setPause(_ reason: String?, user: String?, correlationId: String, at: Date) async throws

    // Private calendar feeds (issue 10).

    /// A feed's state (`FeedState.initial` for one never rotated or revoked).
    func feedState(scope: String) async throws -> FeedState
    /// The feed's next address; a revoked feed is served again.
    func rotateFeed(scope: String, at now: Date) async throws -> FeedState
    /// Stops the feed at the address it has.
    func revokeFeed(scope: String, at now: Date) async throws -> FeedState
    /// What a feed holds: the appointments not cancelled that start at `from` or later, of one
    /// consultant (nil: all), by start, consultant and id; `after`: only those after the
    /// appointment with this id in that order (a page's cursor; none if it does not exist).
    func feedAppointments(consultantId: String?, from: Date, after: String?, limit: Int) async throws -> [Appointment]

    // Personal data (issue 13): export, erasure on request, retention.

    /// The clients (random ids) whose data `subject` names; empty if none.
    func clientIds(of subject: DataSubject) async throws -> [UUID]
    /// Their active appointments still ahead: what an erasure on request cancels first.
    func activeAppointments(ofClients clientIds: [UUID], after now: Date) async throws -> [BookingReference]
    /// Erases everything personal of those clients in one transaction (contacts, history reasons,
    /// stored replies, their keys), with its record, its audit row and a `booking.erased` event
    /// per appointment; a repeat erases nothing and keeps no record.
    func erase(clients clientIds: [UUID], cancelled: Int, user: String, correlationId: String, at now: Date) async throws -> ErasureRecord
    /// Erases the personal data of at most `limit` appointments past `rule`, as one act (nil: none was due).
    func eraseExpired(_ rule: RetentionRule, limit: Int, correlationId: String, at now: Date) async throws -> ErasureRecord?
    /// Everything bookingd holds about those clients.
    func export(clients clientIds: [UUID]) async throws -> PersonalDataExport

    // Attendance and analytics (issue 11).

    /// Keeps the first time a visit of the booking page reached `step`.
    func recordVisitStep(visit: String, step: VisitStep, reference: String?, at now: Date) async throws
    /// What the report of `from`...`to` (days in `zone`, inclusive) is computed from.
    func reportFacts(from: LocalDate, to: LocalDate, zone: TimeZone, consultantId: String?, now: Date,
                     unmarkedAfter: TimeInterval) async throws -> ReportFacts

    /// The master keys as they stand (`bookctl keys status`).
    func masterKeyState() async throws -> MasterKeyState
    /// One step of a master key rotation: at most `limit` client keys re-wrapped under `next`
    /// (`MasterKeyRotation` says how a rotation survives a crash).
    func rotateMasterKey(to next: MasterKey, limit: Int) async throws -> RotationProgress
    /// Ends the rotation to `fingerprint` once every key is under it; returns the old key's
    /// fingerprint, nil if that rotation was finished before.
    func finishMasterKeyRotation(to fingerprint: String) async throws -> String?
}

extension BookingStore {
    public func appointments(from: Date?, to: Date?, status: AppointmentStatus?, limit: Int) async throws -> [Appointment] {
        try await appointments(from: from, to: to, status: status, limit: limit, email: nil, phone: nil, after: nil)
    }
}
