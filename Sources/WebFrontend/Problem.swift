import BookingProtocol
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An error as the API answers it: `application/problem+json` (RFC 9457) with the booking
/// core's code, or one of webd's own (`rate_limited`, `proof_of_work_failed`, ...), and the
/// request field it concerns.
public struct Problem: Error, Sendable, Equatable, Encodable {
    public var type: String
    public var title: String
    public var status: HTTPResponse.Status
    public var detail: String
    public var code: String
    public var field: String?
    /// Seconds until a retry can succeed (also sent as `Retry-After`).
    public var retryAfter: Int?
    public var references: [String]?
    /// On 405: the methods the resource answers (also sent as `Allow`).
    public var allow: [String]?

    public init(status: Int, code: String, detail: String, field: String? = nil, retryAfter: Int? = nil, references: [String]? = nil) {
        self.type = "urn:booking:problem:\(code)"
        self.title = Self.titles[code] ?? code.replacingOccurrences(of: "_", with: " ")
        self.status = HTTPResponse.Status(code: status)
        self.detail = detail
        self.code = code
        self.field = field
        self.retryAfter = retryAfter
        self.references = references
    }

    /// webd's own codes, beside `ErrorCode`'s.
    public static let webCodes: [String: Int] = [
        "rate_limited": 429, "proof_of_work_failed": 403, "consent_required": 422, "form_rejected": 403,
        "not_found_route": 404, "method_not_allowed": 405, "unsupported_media_type": 415, "content_too_large": 413,
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
        // webd's own identity was refused: the install is wrong, not the visitor.
        case .internalError, .forbidden: 500
        }
    }

    public init(_ error: ProtocolError) {
        let status = Self.status(of: error.code)
        // A 5xx's message is about the suite's inside (a daemon's ipc path, a database error, an
        // identity): the visitor gets a fixed sentence, the operator the message in webd's log.
        let detail = status >= 500 ? Self.serverSideDetail(error.code) : error.message
        self.init(status: status, code: error.code.rawValue, detail: detail, field: error.field,
                  retryAfter: error.code == .unavailable ? Self.unavailableRetrySeconds : nil, references: error.body.references)
    }

    static func serverSideDetail(_ code: ErrorCode) -> String {
        switch code {
        case .unavailable: "the booking service is temporarily unavailable; retry shortly"
        case .deadlineExceeded: "the booking service did not answer in time; nothing was changed, retry shortly"
        default: "the request could not be handled"
        }
    }

    /// How long a visitor is asked to wait when the booking core is down or paused.
    static let unavailableRetrySeconds = 30

    /// The one mapping of what a request can fail with to what webd answers; nil for an error
    /// nothing maps, which is a bug: the caller answers `internal` (500) and logs it.
    public static func mapping(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem:
            problem
        case let error as ProtocolError:
            Problem(error)
        case is DaemonUnreachable:
            Problem(status: 503, code: ErrorCode.unavailable.rawValue, detail: serverSideDetail(.unavailable), retryAfter: unavailableRetrySeconds)
        case let error as HTTPError where error.status == .notFound:
            Problem(status: 404, code: "not_found_route", detail: "no such resource; the API is described at /api/v1/openapi.json")
        case let error as HTTPError where error.status == .methodNotAllowed:
            Problem(status: 405, code: "method_not_allowed", detail: "the method is not allowed here; see /api/v1/openapi.json")
        case let error as HTTPError where error.status == .contentTooLarge:
            Problem(status: 413, code: "content_too_large", detail: error.body ?? "the body is too large")
        default:
            nil
        }
    }

    /// A method the API does not have on a path it has.
    static func methodNotAllowed(_ methods: [String]) -> Problem {
        var problem = Problem(status: 405, code: "method_not_allowed", detail: "this resource answers \(methods.joined(separator: ", ")); see /api/v1/openapi.json")
        problem.allow = methods
        return problem
    }

    static let internalError = Problem(status: 500, code: ErrorCode.internalError.rawValue, detail: serverSideDetail(.internalError))

    static let titles: [String: String] = [
        "validation_failed": "A field is not valid", "invalid_reference": "Not a booking reference",
        "slot_unavailable": "The time is no longer free", "off_grid": "Not a slot start", "in_past": "The time has passed",
        "outside_working_hours": "Outside working hours", "too_soon": "Too soon", "beyond_horizon": "Too far ahead",
        "not_found": "Not found", "invalid_transition": "Not possible in the booking's state", "conflict": "Conflict",
        "idempotency_conflict": "Idempotency key reused", "contact_limit_reached": "Too many upcoming bookings",
        "malformed": "Malformed request", "unsupported_version": "Unsupported protocol version",
        "unknown_type": "Unknown request type", "unavailable": "Temporarily unavailable",
        "deadline_exceeded": "Timed out", "internal": "Internal error", "forbidden": "Not allowed to this service", "rate_limited": "Too many requests",
        "proof_of_work_failed": "Proof of work missing or wrong", "consent_required": "Consent required",
        "form_rejected": "Form rejected", "not_found_route": "No such resource", "method_not_allowed": "Method not allowed",
        "unsupported_media_type": "Unsupported media type", "content_too_large": "Content too large",
    ]

    public var json: [UInt8] { (try? WireJSON.encode(self)) ?? Array("{}".utf8) }
}

extension Problem: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response { response }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}

extension Problem {
    private enum CodingKeys: String, CodingKey { case type, title, status, detail, code, field, retryAfter, references }

    /// RFC 9457 has the status as a number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status.code, forKey: .status)
        try container.encode(detail, forKey: .detail)
        try container.encode(code, forKey: .code)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encodeIfPresent(retryAfter, forKey: .retryAfter)
        try container.encodeIfPresent(references, forKey: .references)
    }
}
