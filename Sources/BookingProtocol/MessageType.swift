/// Every message type of the contract. A reply's type is the request's type with `.reply`
/// appended, or `error`.
public enum MessageType {
    public static let error = "error"

    // bookingd
    public static let book = "book"
    public static let get = "get"
    public static let reschedule = "reschedule"
    public static let cancel = "cancel"
    public static let list = "list"
    public static let history = "history"
    public static let replay = "replay"
    public static let snapshot = "snapshot"
    /// Stop taking new bookings (queries, reschedules and cancellations go on) / take them again.
    public static let pause = "pause"
    public static let resume = "resume"
    /// notifyd sent an appointment's reminder: its `reminderSent` becomes true.
    public static let markReminderSent = "mark_reminder_sent"
    /// The client confirms a held booking (hold-then-confirm mode): `scheduled` becomes `confirmed`.
    public static let confirm = "confirm"
    /// An appointment's full contact, for the daemons that send it on (events carry it masked).
    public static let contact = "contact"
    /// A private calendar feed's appointments, by the token in its address (webd asks).
    public static let feed = "feed"
    /// A feed's address and state (a consultant's or the team's), for admins.
    public static let feedShow = "feed_show"
    /// A feed's new address: the one before stops working; a revoked feed is served again.
    public static let feedRotate = "feed_rotate"
    /// Stops a feed: its address answers as one that never existed.
    public static let feedRevoke = "feed_revoke"
    /// A consultant or an admin marks an appointment attended or no-show (after its start).
    public static let markOutcome = "mark_outcome"
    /// webd: a visit to the booking page reached a step of the funnel.
    public static let visitStep = "visit_step"
    /// The booking figures of a period, beside the team's targets.
    public static let report = "report"

    // availabilityd
    public static let slots = "slots"
    public static let calendar = "calendar"
    public static let checkSlot = "check_slot"
    public static let block = "block"
    public static let unblock = "unblock"
    public static let consultants = "consultants"
    public static let consultantAdd = "consultant_add"
    public static let consultantRemove = "consultant_remove"
    public static let consultantEdit = "consultant_edit"
    public static let timeOffAdd = "time_off_add"
    public static let timeOffRemove = "time_off_remove"
    /// calsyncd hands over one consultant's busy time from one source, replacing what it gave before.
    public static let busyReplace = "busy_replace"
    /// The busy time availabilityd holds, with its sources.
    public static let busy = "busy"

    // calsyncd
    /// Connect a consultant's own calendar, or change the connection.
    public static let calendarConnect = "calendar_connect"
    public static let calendarDisconnect = "calendar_disconnect"
    /// The connections, each with its sync status.
    public static let calendars = "calendars"
    /// Sync now, and answer when done.
    public static let calendarSync = "calendar_sync"
    /// Where a consultant's own calendar and their bookings disagree: a meeting over a booking,
    /// a booking's event moved or deleted in the calendar.
    public static let calendarConflicts = "calendar_conflicts"

    // notifyd
    /// What was sent for one appointment (by reference), or every dead letter (`failed`).
    public static let notifications = "notifications"
    /// Send one notification again (a dead letter, or any other by id).
    public static let notificationRetry = "notification_retry"
    /// Send one test message to an address through the configured mail transport, now.
    public static let testEmail = "test_email"
    /// calsyncd tells the consultant and the team about a calendar conflict (once per conflict id).
    public static let calendarConflict = "calendar_conflict"

    // every daemon
    public static let ping = "ping"
    public static let reload = "reload"
    /// The daemon's metrics in Prometheus' text format (also on its HTTP port, if configured).
    public static let metrics = "metrics"
    /// A consistent copy of the daemon's database, written under its state directory.
    public static let backup = "backup"
    /// Testing only (`debug.allow_stall`): wedge the daemon's async runtime for a while.
    public static let debugStall = "debug_stall"

    public static func reply(to type: String) -> String { type + ".reply" }

    /// Messages that only read: everything else an admin sends is kept in the audit trail.
    public static let queries: Set<String> = [get, list, history, replay, snapshot, contact, feed, feedShow, slots, calendar, checkSlot, consultants, busy, calendars,
                                              calendarConflicts, report,
                                              notifications, ping, metrics, masterKey]
}

/// The default endpoints, relative to a runtime directory (`/run/booking` under systemd,
/// `./var/run` in development).
public enum DefaultEndpoint {
    public static func bookingd(runtimeDirectory: String) -> String { "ipc://\(runtimeDirectory)/bookingd.ipc" }
    public static func bookingdEvents(runtimeDirectory: String) -> String { "ipc://\(runtimeDirectory)/bookingd-events.ipc" }
    public static func availabilityd(runtimeDirectory: String) -> String { "ipc://\(runtimeDirectory)/availabilityd.ipc" }
    public static func notifyd(runtimeDirectory: String) -> String { "ipc://\(runtimeDirectory)/notifyd.ipc" }
    public static func webd(runtimeDirectory: String) -> String { "ipc://\(runtimeDirectory)/webd.ipc" }
    public static func calsyncd(runtimeDirectory: String) -> String { "ipc://\(runtimeDirectory)/calsyncd.ipc" }
}
