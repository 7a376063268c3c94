import Foundation

/// Connects a consultant's own calendar (or changes the connection): calsyncd imports its busy
/// time from then on. The password is never sent: `password_credential` names the file holding
/// it (a systemd credential of calsyncd's, or a path for development).
public struct CalendarConnectRequest: Codable, Sendable, Equatable {
    public var consultantId: String
    /// `caldav` (any CalDAV server: Nextcloud, Radicale, Fastmail) or `yandex` (Yandex Calendar's CalDAV).
    public var provider: String
    /// The calendar collection's URL.
    public var url: String
    public var username: String
    public var passwordCredential: String
    /// Whether tentative events hold the consultant busy (default true).
    public var tentativeBlocks: Bool?
    public init(consultantId: String, provider: String, url: String, username: String, passwordCredential: String, tentativeBlocks: Bool? = nil) {
        self.consultantId = consultantId
        self.provider = provider
        self.url = url
        self.username = username
        self.passwordCredential = passwordCredential
        self.tentativeBlocks = tentativeBlocks
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
    public init(consultantId: String, provider: String, url: String, username: String, passwordCredential: String, tentativeBlocks: Bool,
                lastSyncAt: Date?, lastAttemptAt: Date?, lastError: String?, stale: Bool, busyIntervals: Int, events: Int, warnings: [String]) {
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
