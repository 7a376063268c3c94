import Foundation

/// Connects a consultant's own calendar (or changes the connection): calsyncd imports its busy
/// time from then on. The password is never sent: `password_credential` names the file holding
/// it (a systemd credential of calsyncd's, or a path for development).
public struct CalendarConnectRequest: Codable, Sendable, Equatable {
    public var consultantId: String
    /// `caldav` (any CalDAV server: Nextcloud, Radicale, Fastmail), `yandex` (Yandex Calendar's
    /// CalDAV) or `google` (Google Calendar's CalDAV, OAuth 2).
    public var provider: String
    /// The calendar collection's URL.
    public var url: String
    public var username: String
    public var passwordCredential: String
    /// Whether tentative events hold the consultant busy (default true).
    public var tentativeBlocks: Bool?
    /// Whether the consultant's bookings are written into the calendar (default true).
    public var writeBookings: Bool?
    /// What a booking's event in the calendar says: `minimal` (the reference and the manage
    /// link) or `full` (also the client's name, phone and email). Default: `minimal` for
    /// providers that keep data outside Russia (Google), `full` otherwise.
    public var privacy: String?
    /// When a booking's event is deleted in the calendar: `recreate` it (default) or `report` a conflict.
    public var onRemoteDelete: String?
    public init(consultantId: String, provider: String, url: String, username: String, passwordCredential: String, tentativeBlocks: Bool? = nil,
                writeBookings: Bool? = nil, privacy: String? = nil, onRemoteDelete: String? = nil) {
        self.consultantId = consultantId
        self.provider = provider
        self.url = url
        self.username = username
        self.passwordCredential = passwordCredential
        self.tentativeBlocks = tentativeBlocks
        self.writeBookings = writeBookings
        self.privacy = privacy
        self.onRemoteDelete = onRemoteDelete
    }
}

public struct CalendarConsultantRequest: Codable, Sendable, Equatable {
    /// Absent in `calendars` and `calendar_sync`: every connection.
    public var consultantId: String?
    public init(consultantId: String? = nil) { self.consultantId = consultantId }
}

/// A connection and how its sync is going.
public struct CalendarConnectionBody: Codable, Sendable, Equatable {
    public var consultantId: String
    public var provider: String
    public var url: String
    public var username: String
    public var passwordCredential: String
    public var tentativeBlocks: Bool
    /// The last sync that read the calendar and handed its busy time to availabilityd.
    public var lastSyncAt: Date?
    public var lastAttemptAt: Date?
    /// Why the last attempt failed; absent after a success.
    public var lastError: String?
    /// No successful sync within `calendars.stale_after_seconds`: the busy time in force may be old.
    public var stale: Bool
    /// Busy intervals handed over at the last success.
    public var busyIntervals: Int
    /// Events (calendar resources) kept from the calendar.
    public var events: Int
    /// What the last sync could not read (an event skipped, a time zone unknown).
    public var warnings: [String]
    public var writeBookings: Bool
    public var privacy: String
    public var onRemoteDelete: String
    /// Bookings whose event is in the calendar as they are now.
    public var bookingsWritten: Int
    /// Bookings whose event still has to be written, moved or removed.
    public var bookingsPending: Int
    /// Why the last write failed; absent once one succeeds.
    public var lastWriteError: String?
    public init(consultantId: String, provider: String, url: String, username: String, passwordCredential: String, tentativeBlocks: Bool,
                lastSyncAt: Date?, lastAttemptAt: Date?, lastError: String?, stale: Bool, busyIntervals: Int, events: Int, warnings: [String],
                writeBookings: Bool = false, privacy: String = "minimal", onRemoteDelete: String = "recreate", bookingsWritten: Int = 0,
                bookingsPending: Int = 0, lastWriteError: String? = nil) {
        self.writeBookings = writeBookings
        self.privacy = privacy
        self.onRemoteDelete = onRemoteDelete
        self.bookingsWritten = bookingsWritten
        self.bookingsPending = bookingsPending
        self.lastWriteError = lastWriteError
        self.consultantId = consultantId
        self.provider = provider
        self.url = url
        self.username = username
        self.passwordCredential = passwordCredential
        self.tentativeBlocks = tentativeBlocks
        self.lastSyncAt = lastSyncAt
        self.lastAttemptAt = lastAttemptAt
        self.lastError = lastError
        self.stale = stale
        self.busyIntervals = busyIntervals
        self.events = events
        self.warnings = warnings
    }
}

public struct CalendarsReply: Codable, Sendable, Equatable {
    public var connections: [CalendarConnectionBody]
    public init(connections: [CalendarConnectionBody]) { self.connections = connections }
}

/// Where a consultant's own calendar and their bookings disagree. Nothing is cancelled by
/// itself: the consultant and the team are told, and an admin decides.
public struct CalendarConflictBody: Codable, Sendable, Equatable {
    /// Stable for the same disagreement, so it is listed and told once.
    public var id: String
    public var consultantId: String
    /// `overlap` (a meeting in the calendar over a booking), `moved` (the booking's event moved
    /// in the calendar) or `deleted` (the booking's event deleted there, and not recreated).
    public var kind: String
    /// The booking's reference.
    public var reference: String?
    /// When the booking is.
    public var start: Date
    /// The calendar event: its UID, and for one instance of a recurring event its start.
    public var eventId: String?
    /// For `moved`: where the event is in the calendar now.
    public var eventStart: Date?
    public var foundAt: Date
    /// Whether notifyd took the notice.
    public var notified: Bool
    public init(id: String, consultantId: String, kind: String, reference: String?, start: Date, eventId: String?, eventStart: Date? = nil,
                foundAt: Date, notified: Bool = false) {
        self.id = id
        self.consultantId = consultantId
        self.kind = kind
        self.reference = reference
        self.start = start
        self.eventId = eventId
        self.eventStart = eventStart
        self.foundAt = foundAt
        self.notified = notified
    }
}

/// `calendar_conflicts`: one consultant's (or everyone's); `all` includes those no longer current.
public struct CalendarConflictsRequest: Codable, Sendable, Equatable {
    public var consultantId: String?
    public var all: Bool?
    public init(consultantId: String? = nil, all: Bool? = nil) {
        self.consultantId = consultantId
        self.all = all
    }
}

public struct CalendarConflictsReply: Codable, Sendable, Equatable {
    public var conflicts: [CalendarConflictBody]
    public init(conflicts: [CalendarConflictBody]) { self.conflicts = conflicts }
}

/// `calendar_conflict` (calsyncd to notifyd): tell the consultant and the team. notifyd queues
/// one message per recipient and conflict id, so a repeated notice queues nothing more.
public struct CalendarConflictNotice: Codable, Sendable, Equatable {
    public var conflict: CalendarConflictBody
    public init(conflict: CalendarConflictBody) { self.conflict = conflict }
}

public struct CalendarConflictNoticeReply: Codable, Sendable, Equatable {
    /// Messages queued by this notice: 0 when it was told before.
    public var queued: Int
    public init(queued: Int) { self.queued = queued }
}
