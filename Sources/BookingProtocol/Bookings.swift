import Foundation

// Bodies of bookingd's commands and queries. Field names are camelCase here and snake_case on
// the wire; unknown fields are ignored, so clients may send more than a daemon reads.

public struct ContactBody: Codable, Sendable, Equatable {
    public var name: String
    public var email: String
    public var phone: String
    /// The country (ISO 3166, e.g. `GB`) a phone number without `+` is dialled in; without it
    /// the number must be international.
    public var phoneRegion: String?
    public var company: String?

    public init(name: String, email: String, phone: String, phoneRegion: String? = nil, company: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.phoneRegion = phoneRegion
        self.company = company
    }
}

public struct BookRequest: Codable, Sendable, Equatable {
    /// The slot's start, as an instant with an offset.
    public var start: Date
    public var contact: ContactBody
    /// The client's IANA zone: how their messages show times. Default: the calendar's zone.
    public var timeZone: String?
    /// `ru` or `en`. Default: `ru`.
    public var locale: String?
    /// Book with this consultant; otherwise the one with the fewest bookings in the horizon.
    public var consultantId: String?
    /// `client` (default, e.g. through webd) or `admin` (bookctl).
    public var actor: String?
    /// What the client would like to discuss: at most 1000 characters, line breaks allowed.
    public var topic: String?
    /// The consent the booking form recorded (webd sends it; an admin's booking has none).
    public var consent: ConsentBody?
    /// Where the visit that booked came from (webd sends it; absent when it knows nothing).
    public var source: LeadSourceBody?

    public init(start: Date, contact: ContactBody, timeZone: String? = nil, locale: String? = nil, consultantId: String? = nil, actor: String? = nil,
                topic: String? = nil, consent: ConsentBody? = nil, source: LeadSourceBody? = nil) {
        self.source = source
        self.start = start
        self.contact = contact
        self.timeZone = timeZone
        self.locale = locale
        self.consultantId = consultantId
        self.actor = actor
        self.topic = topic
        self.consent = consent
    }
}

/// The client's consent on the booking form: the version of the processing notice they
/// accepted, when, from which address (masked), and apart from it whether they also agreed to
/// marketing.
public struct ConsentBody: Codable, Sendable, Equatable {
    public var notice: String
    public var at: Date
    public var address: String?
    public var marketing: Bool?

    public init(notice: String, at: Date, address: String?, marketing: Bool? = nil) {
        self.notice = notice
        self.at = at
        self.address = address
        self.marketing = marketing
    }
}

/// How a consultation happens: `format` is `phone` (the consultant calls the client), `video`
/// (with `link`) or `office` (with `address`). A consultant's or the suite's link may hold
/// `{reference}`; a booking's link is resolved.
public struct MeetingBody: Codable, Sendable, Equatable, Hashable {
    public var format: String
    public var link: String?
    public var address: String?

    public init(format: String, link: String? = nil, address: String? = nil) {
        self.format = format
        self.link = link
        self.address = address
    }
}

public struct AppointmentBody: Codable, Sendable, Equatable {
    public var reference: String
    public var id: String
    public var clientId: String
    public var consultantId: String
    public var start: Date
    public var end: Date
    public var status: String
    public var contact: ContactBody
    public var timeZone: String
    public var locale: String
    public var createdAt: Date
    public var updatedAt: Date
    public var reminderSent: Bool
    /// Grows with every change of time, consultant or status: the iCalendar SEQUENCE.
    public var revision: Int
    /// How the consultation happens, fixed on the booking; absent on bookings made before it.
    public var meeting: MeetingBody?
    /// What the client would like to discuss (personal data); absent when they said nothing.
    public var topic: String?
    /// While `status` is `scheduled`: when the unconfirmed booking is released; absent otherwise.
    public var holdExpiresAt: Date?
    /// When the client's personal data was erased: `contact` then has empty strings and there is
    /// no topic (docs/protocol.md, "Erased appointments"); absent otherwise.
    public var erasedAt: Date? = nil
    /// Where the visit that booked came from; absent when nothing is known (an admin's booking).
    public var source: LeadSourceBody? = nil

    public init(reference: String, id: String, clientId: String, consultantId: String, start: Date, end: Date, status: String,
                contact: ContactBody, timeZone: String, locale: String, createdAt: Date, updatedAt: Date, reminderSent: Bool,
                revision: Int, meeting: MeetingBody? = nil, topic: String? = nil, holdExpiresAt: Date? = nil) {
        self.reference = reference
        self.id = id
        self.clientId = clientId
        self.consultantId = consultantId
        self.start = start
        self.end = end
        self.status = status
        self.contact = contact
        self.timeZone = timeZone
        self.locale = locale
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.reminderSent = reminderSent
        self.revision = revision
        self.meeting = meeting
        self.topic = topic
        self.holdExpiresAt = holdExpiresAt
    }
}

extension AppointmentBody {
    private enum CodingKeys: String, CodingKey {
        case reference, id, clientId, consultantId, start, end, status, contact, timeZone, locale, createdAt, updatedAt
        case reminderSent, revision, meeting, topic, holdExpiresAt
        case erasedAt, source
    }

    /// `revision` came with the house step; events stored before it have none and read as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            reference: try c.decode(String.self, forKey: .reference), id: try c.decode(String.self, forKey: .id),
            clientId: try c.decode(String.self, forKey: .clientId), consultantId: try c.decode(String.self, forKey: .consultantId),
            start: try c.decode(Date.self, forKey: .start), end: try c.decode(Date.self, forKey: .end),
            status: try c.decode(String.self, forKey: .status), contact: try c.decode(ContactBody.self, forKey: .contact),
            timeZone: try c.decode(String.self, forKey: .timeZone), locale: try c.decode(String.self, forKey: .locale),
            createdAt: try c.decode(Date.self, forKey: .createdAt), updatedAt: try c.decode(Date.self, forKey: .updatedAt),
            reminderSent: try c.decode(Bool.self, forKey: .reminderSent),
            revision: try c.decodeIfPresent(Int.self, forKey: .revision) ?? 0,
            meeting: try c.decodeIfPresent(MeetingBody.self, forKey: .meeting),
            topic: try c.decodeIfPresent(String.self, forKey: .topic),
            holdExpiresAt: try c.decodeIfPresent(Date.self, forKey: .holdExpiresAt)
        )
        erasedAt = try c.decodeIfPresent(Date.self, forKey: .erasedAt)
        source = try c.decodeIfPresent(LeadSourceBody.self, forKey: .source)
    }
}

public struct ReferenceRequest: Codable, Sendable, Equatable {
    public var reference: String
    public init(reference: String) { self.reference = reference }
}

public struct RescheduleRequest: Codable, Sendable, Equatable {
    public var reference: String
    public var start: Date
    public var consultantId: String?
    /// An admin's or the system's reason is internal (history only); a client's is their own words.
    public var reason: String?
    /// What the client and the team are told (an admin's or the system's change); see `EventBody.clientMessage`.
    public var clientMessage: String?
    public var actor: String?

    public init(reference: String, start: Date, consultantId: String? = nil, reason: String? = nil, clientMessage: String? = nil,
                actor: String? = nil) {
        self.reference = reference
        self.start = start
        self.consultantId = consultantId
        self.reason = reason
        self.clientMessage = clientMessage
        self.actor = actor
    }
}

public struct CancelRequest: Codable, Sendable, Equatable {
    public var reference: String
    /// An admin's or the system's reason is internal (history only); a client's is their own words.
    public var reason: String?
    /// What the client and the team are told (an admin's or the system's change); see `EventBody.clientMessage`.
    public var clientMessage: String?
    public var actor: String?

    public init(reference: String, reason: String? = nil, clientMessage: String? = nil, actor: String? = nil) {
        self.reference = reference
        self.reason = reason
        self.clientMessage = clientMessage
        self.actor = actor
    }
}

/// The client confirms a held (`scheduled`) booking with what its "please confirm" message gave
/// them: the link's `token` or the SMS `code` (exactly one of the two).
public struct ConfirmRequest: Codable, Sendable, Equatable {
    public var reference: String
    public var token: String?
    public var code: String?

    public init(reference: String, token: String? = nil, code: String? = nil) {
        self.reference = reference
        self.token = token
        self.code = code
    }
}

/// notifyd sent the reminder for the appointment at `start`. Naming the start keeps a reminder
/// for the old time from marking the new one after a reschedule.
public struct MarkReminderSentRequest: Codable, Sendable, Equatable {
    public var reference: String
    public var start: Date

    public init(reference: String, start: Date) {
        self.reference = reference
        self.start = start
    }
}

/// The full contact of an appointment, which events carry masked: only the daemons that send it
/// on to the person (notifyd, calsyncd) may ask. With `eventId`, the reply also has the client's
/// own words on the change that caused that event, which the event leaves out.
public struct ContactRequest: Codable, Sendable, Equatable {
    public var reference: String
    public var eventId: String?

    public init(reference: String, eventId: String? = nil) {
        self.reference = reference
        self.eventId = eventId
    }
}

public struct ContactReply: Codable, Sendable, Equatable {
    public var reference: String
    public var contact: ContactBody
    /// What the client would like to discuss; absent when they said nothing.
    public var topic: String?
    /// The client's reason for the change that caused the event asked about; absent when the
    /// change was not the client's, they gave none, or no event was named.
    public var clientMessage: String?
    /// The consultant's links for marking the outcome (`mark_outcome`); absent once the
    /// appointment can no longer be marked (cancelled) or its links have expired.
    public var outcomeLinks: OutcomeLinksBody?

    public init(reference: String, contact: ContactBody, topic: String? = nil, clientMessage: String? = nil, outcomeLinks: OutcomeLinksBody? = nil) {
        self.outcomeLinks = outcomeLinks
        self.reference = reference
        self.contact = contact
        self.topic = topic
        self.clientMessage = clientMessage
    }
}

/// Appointments by slot start (then consultant, then reference), one page at a time: at most
/// `limit` (`PageLimit.list`), after the appointment whose reference is `after` (the previous
/// page's `next`).
public struct ListRequest: Codable, Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public var status: String?
    public var limit: Int?
    /// Only one contact's appointments: those with this email (compared case-insensitively), this
    /// phone (E.164), or, with both, either.
    public var email: String?
    public var phone: String?
    /// The cursor: the `next` of the page before.
    public var after: String?

    public init(from: Date? = nil, to: Date? = nil, status: String? = nil, limit: Int? = nil, email: String? = nil, phone: String? = nil,
                after: String? = nil) {
        self.from = from
        self.to = to
        self.status = status
        self.limit = limit
        self.email = email
        self.phone = phone
        self.after = after
    }
}

public struct ListReply: Codable, Sendable, Equatable {
    public var appointments: [AppointmentBody]
    /// Present when more appointments follow: ask again with it as `after`.
    public var next: String?
    public init(appointments: [AppointmentBody], next: String? = nil) {
        self.appointments = appointments
        self.next = next
    }
}

public struct HistoryEntryBody: Codable, Sendable, Equatable {
    public var kind: String
    public var fromStatus: String?
    public var toStatus: String
    public var oldStart: Date?
    public var oldEnd: Date?
    public var newStart: Date?
    public var newEnd: Date?
    public var oldConsultantId: String?
    public var newConsultantId: String?
    public var actor: String
    public var user: String?
    public var reason: String?
    public var at: Date

    public init(kind: String, fromStatus: String?, toStatus: String, oldStart: Date?, oldEnd: Date?, newStart: Date?, newEnd: Date?,
                oldConsultantId: String?, newConsultantId: String?, actor: String, user: String?, reason: String?, at: Date) {
        self.kind = kind
        self.fromStatus = fromStatus
        self.toStatus = toStatus
        self.oldStart = oldStart
        self.oldEnd = oldEnd
        self.newStart = newStart
        self.newEnd = newEnd
        self.oldConsultantId = oldConsultantId
        self.newConsultantId = newConsultantId
        self.actor = actor
        self.user = user
        self.reason = reason
        self.at = at
    }
}

public struct HistoryReply: Codable, Sendable, Equatable {
    public var reference: String
    public var entries: [HistoryEntryBody]
    public init(reference: String, entries: [HistoryEntryBody]) {
        self.reference = reference
        self.entries = entries
    }
}

/// Events with a sequence number greater than `after`, oldest first, at most `limit` (`PageLimit.replay`).
public struct ReplayRequest: Codable, Sendable, Equatable {
    public var after: UInt64
    public var limit: Int?
    public init(after: UInt64, limit: Int? = nil) {
        self.after = after
        self.limit = limit
    }
}

public struct ReplayReply: Codable, Sendable, Equatable {
    public var events: [EventBody]
    /// The newest sequence number bookingd has committed; replay again while it is ahead of what you hold.
    public var lastSequence: UInt64
    /// The epoch the sequence numbers count in (as in every event's header); absent from an
    /// older bookingd.
    public var epoch: String?
    public init(events: [EventBody], lastSequence: UInt64, epoch: String? = nil) {
        self.events = events
        self.lastSequence = lastSequence
        self.epoch = epoch
    }
}

/// The active appointments whose slot starts in `[from, to)` and the sequence number the
/// snapshot is consistent with (zguide's Clone pattern: apply events after it).
public struct SnapshotRequest: Codable, Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public init(from: Date? = nil, to: Date? = nil) {
        self.from = from
        self.to = to
    }
}

public struct BookedSlotBody: Codable, Sendable, Equatable, Hashable {
    public var consultantId: String
    public var start: Date
    public init(consultantId: String, start: Date) {
        self.consultantId = consultantId
        self.start = start
    }
}

public struct SnapshotReply: Codable, Sendable, Equatable {
    public var sequence: UInt64
    public var booked: [BookedSlotBody]
    /// The epoch `sequence` counts in; absent from an older bookingd.
    public var epoch: String?
    /// Bookings per consultant from now to the end of the horizon (for fair assignment views).
    public init(sequence: UInt64, booked: [BookedSlotBody], epoch: String? = nil) {
        self.sequence = sequence
        self.booked = booked
        self.epoch = epoch
    }
}

/// A daemon's state, for `bookctl status` and `health`.
public struct PingReply: Codable, Sendable, Equatable {
    public var daemon: String
    public var version: String
    public var pid: Int32
    public var startedAt: Date
    /// bookingd: the last event published; availabilityd: the last event applied to its view.
    public var lastSequence: UInt64?
    public var warnings: [String]
    /// `ready`, `paused` (bookingd, new bookings refused) or `syncing` (availabilityd before its first snapshot).
    public var state: String?
    /// What it is doing, as systemd's STATUS= says it.
    public var status: String?
    /// bookingd: events committed but not yet published.
    public var backlog: UInt64?
    public var requestsAnswered: Int?
    public var lastError: String?
    public var lastErrorAt: Date?
    /// bookingd while paused: why, in words a client may read (the booking page shows it).
    public var pauseReason: String?
    /// bookingd: `on` while clients' bookings are held until confirmed (hold-then-confirm, or its
    /// automatic mode switched on), else `off`; webd raises its proof of work while `on`.
    public var confirmation: String?

    public init(daemon: String, version: String, pid: Int32, startedAt: Date, lastSequence: UInt64? = nil, warnings: [String] = [],
                state: String? = nil, status: String? = nil, backlog: UInt64? = nil, requestsAnswered: Int? = nil,
                lastError: String? = nil, lastErrorAt: Date? = nil) {
        self.daemon = daemon
        self.version = version
        self.pid = pid
        self.startedAt = startedAt
        self.lastSequence = lastSequence
        self.warnings = warnings
        self.state = state
        self.status = status
        self.backlog = backlog
        self.requestsAnswered = requestsAnswered
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
    }
}

public struct PauseRequest: Codable, Sendable, Equatable {
    public var reason: String?
    public init(reason: String? = nil) { self.reason = reason }
}

public struct PauseReply: Codable, Sendable, Equatable {
    public var paused: Bool
    public var reason: String?
    public init(paused: Bool, reason: String?) {
        self.paused = paused
        self.reason = reason
    }
}

public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}

public struct ReloadReply: Codable, Sendable, Equatable {
    public var daemon: String
    public var status: String
    public init(daemon: String, status: String) {
        self.daemon = daemon
        self.status = status
    }
}

public struct StallRequest: Codable, Sendable, Equatable {
    public var seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
}

public struct BackupRequest: Codable, Sendable, Equatable {
    /// The folder under `<state directory>/backups/` to write into, e.g. `bookctl-20261201T030000Z`.
    public var label: String
    public init(label: String) { self.label = label }
}

public struct BackupReply: Codable, Sendable, Equatable {
    public var daemon: String
    /// The copy's absolute path.
    public var path: String
    public var bytes: Int
    /// `ok`, from `PRAGMA integrity_check` of the copy.
    public var integrity: String
    public var createdAt: Date

    public init(daemon: String, path: String, bytes: Int, integrity: String, createdAt: Date) {
        self.daemon = daemon
        self.path = path
        self.bytes = bytes
        self.integrity = integrity
        self.createdAt = createdAt
    }
}

public struct MetricsReply: Codable, Sendable, Equatable {
    public var daemon: String
    public var exposition: String
    public init(daemon: String, exposition: String) {
        self.daemon = daemon
        self.exposition = exposition
    }
}
