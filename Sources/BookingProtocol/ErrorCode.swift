/// Stable error codes of the wire contract. Clients branch on these; the message is for people.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    /// A field is missing, malformed or out of bounds; `field` names it.
    case validationFailed = "validation_failed"
    /// A booking reference is mistyped (its check symbol does not match) or has the wrong form.
    case invalidReference = "invalid_reference"
    /// Nobody (or not the asked consultant) is free at that time.
    case slotUnavailable = "slot_unavailable"
    /// The time is not on the 30-minute grid.
    case offGrid = "off_grid"
    /// The time is in the past.
    case inPast = "in_past"
    /// Outside business hours, or on a non-working day (weekend, holiday, blocked day).
    case outsideWorkingHours = "outside_working_hours"
    /// Closer than the minimum notice.
    case tooSoon = "too_soon"
    /// Further than the booking horizon.
    case beyondHorizon = "beyond_horizon"
    case notFound = "not_found"
    /// The appointment's state does not allow this change (e.g. rescheduling a cancelled one).
    case invalidTransition = "invalid_transition"
    /// The change would affect existing bookings; repeat with `force` to go ahead.
    case conflict = "conflict"
    /// The same idempotency key was used for a different command.
    case idempotencyConflict = "idempotency_conflict"
    /// The client's email or phone already holds the most future bookings a client may have.
    case contactLimitReached = "contact_limit_reached"
    /// The frames are not a valid envelope or the body is not valid JSON.
    case malformed = "malformed"
    case unsupportedVersion = "unsupported_version"
    case unknownType = "unknown_type"
    /// The sender's identity (its OS user on ipc://) may not send this message type.
    case forbidden = "forbidden"
    /// A dependency (another daemon, the database) cannot be reached, or new bookings are paused.
    case unavailable = "unavailable"
    /// The request's deadline passed before it could be handled.
    case deadlineExceeded = "deadline_exceeded"
    case internalError = "internal"
}

/// The body of an `error` reply.
public struct ErrorBody: Codable, Sendable, Equatable, Error {
    public var code: ErrorCode
    public var message: String
    /// The request field the error is about, in wire spelling (e.g. `contact.email`).
    public var field: String?
    /// References of the appointments concerned (e.g. those a block would cancel).
    public var references: [String]?

    public init(code: ErrorCode, message: String, field: String? = nil, references: [String]? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.references = references
    }
}

/// An error reply as a Swift error.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var body: ErrorBody
    public var code: ErrorCode { body.code }
    public var message: String { body.message }
    public var field: String? { body.field }

    public init(_ code: ErrorCode, _ message: String, field: String? = nil, references: [String]? = nil) {
        body = ErrorBody(code: code, message: message, field: field, references: references)
    }

    public init(_ body: ErrorBody) {
        self.body = body
    }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let field { text += " (field: \(field))" }
        return text
    }
}
