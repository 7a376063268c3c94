import BookingProtocol
import Foundation

/// An error as the API answers it: `application/problem+json` (RFC 9457) with the booking
/// core's code, or one of webd's own (`rate_limited`, `proof_of_work_failed`, ...), and the
/// request field it concerns.
public struct Problem: Error, Sendable, Equatable, Encodable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var code: String
    public var field: String?
    /// Seconds until a retry can succeed (also sent as `Retry-After`).
    public var retryAfter: Int?
    public var references: [String]?

    public init(status: Int, code: String, detail: String, field: String? = nil, retryAfter: Int? = nil, references: [String]? = nil) {
        self.type = "urn:booking:problem:\(code)"
        self.title = Self.titles[code] ?? code.replacingOccurrences(of: "_", with: " ")
        self.status = status
        self.detail = detail
        self.code = code
        self.field = field
        self.retryAfter = retryAfter
        self.references = references
    }

    /// webd's own codes, beside `ErrorCode`'s.
    public static let webCodes: [String: Int] = [
        "rate_limited": 429, "proof_of_work_failed": 403, "too_many_bookings": 409, "consent_required": 422,
        "form_rejected": 403, "not_found_route": 404, "method_not_allowed": 405, "unsupported_media_type": 415,
    ]

    /// The HTTP status of each of the booking core's codes.
    public static func status(of code: ErrorCode) -> Int {
        switch code {
        case .validationFailed, .offGrid, .inPast, .outsideWorkingHours, .tooSoon, .beyondHorizon: 422
        case .invalidReference, .malformed, .unsupportedVersion, .unknownType: 400
        case .slotUnavailable, .invalidTransition, .conflict, .idempotencyConflict, .contactLimitReached: 409
        case .notFound: 404
        case .unavailable: 503
        case .deadlineExceeded: 504
        case .internalError: 500
        }
    }

    public init(_ error: ProtocolError) {
        self.init(status: Self.status(of: error.code), code: error.code.rawValue, detail: error.message, field: error.field,
                  references: error.body.references)
    }

    static let titles: [String: String] = [
        "validation_failed": "A field is not valid", "invalid_reference": "Not a booking reference",
        "slot_unavailable": "The time is no longer free", "off_grid": "Not a slot start", "in_past": "The time has passed",
        "outside_working_hours": "Outside working hours", "too_soon": "Too soon", "beyond_horizon": "Too far ahead",
        "not_found": "Not found", "invalid_transition": "Not possible in the booking's state", "conflict": "Conflict",
        "idempotency_conflict": "Idempotency key reused", "contact_limit_reached": "Too many upcoming bookings", "malformed": "Malformed request", "unsupported_version": "Unsupported protocol version",
        "unknown_type": "Unknown request type", "unavailable": "Temporarily unavailable",
        "deadline_exceeded": "Timed out", "internal": "Internal error", "rate_limited": "Too many requests",
        "proof_of_work_failed": "Proof of work missing or wrong", "too_many_bookings": "Too many upcoming bookings",
        "consent_required": "Consent required", "form_rejected": "Form rejected", "not_found_route": "No such resource",
        "method_not_allowed": "Method not allowed", "unsupported_media_type": "Unsupported media type",
    ]

    public var json: [UInt8] { (try? WireJSON.encode(self)) ?? Array("{}".utf8) }
}
