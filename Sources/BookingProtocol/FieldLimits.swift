/// The bounds of the protocol's own free-form fields, set once: the daemons check against these,
/// and docs/protocol.md's table of limits is tested against them. Bounds that belong to the
/// domain (a contact's name, email and company, a topic, a meeting's link and address) are the
/// domain's constants.
public enum FieldLimits {
    /// `header.idempotency_key`, in UTF-8 bytes.
    public static let idempotencyKeyBytes = 1...128
    /// bookingd's `reason` (reschedule, cancel, pause), in characters; blank is absent.
    public static let reasonCharacters = 500
    /// `client_message`, in characters, wherever it is taken.
    public static let clientMessageCharacters = 500
    /// availabilityd's required `reason` of a block, time off or removal.
    public static let calendarReasonCharacters = 1...200
    /// `slots`' `days`.
    public static let slotDays = 1...366
    /// `calendar`'s `year`.
    public static let calendarYears = 1990...2200
    /// `calendar`'s `from`…`through`: fewer days than this.
    public static let calendarRangeDays = 731
    /// `block`'s and `time_off_add`'s `from`…`through`: fewer days than this.
    public static let blockRangeDays = 366
    /// Busy intervals in one `busy_replace`: a year of a full calendar, well past any horizon.
    public static let busyIntervals = 0...20_000
    /// Characters of a busy interval's `event_id`, and of a busy-time `source`.
    public static let busyEventIdCharacters = 1...512
    public static let busySourceCharacters = 1...64
    /// `backup`'s `label`: letters, digits, `-`, `_`, `.`, not starting with `.`.
    public static let backupLabelCharacters = 1...64
}
