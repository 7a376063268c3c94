import BookingDomain
import BookingProtocol
import Foundation

/// `/api/v1/openapi.json`: the API as OpenAPI 3.1. `operations` is also what the tests walk to
/// check that every documented route answers as documented and every route is documented.
public enum OpenAPIDocument {
    public struct Operation: Sendable {
        public var method: String
        /// OpenAPI's form, e.g. `/bookings/{reference}` (under `/api/v1`).
        public var path: String
        public var id: String
        public var summary: String
        public var requestBody: String?
        /// Status → (description, media type, schema name).
        public var responses: [Int: (String, String, String?)]
    }

    static func problem(_ description: String) -> (String, String, String?) { (description, "application/problem+json", "Problem") }

    static let malformed = problem("The body is not JSON, or not a JSON object (malformed)")
    static let invalidReference = problem("Not a booking reference, or a mistyped one (invalid_reference)")
    static let notFound = problem("No booking has this reference (not_found)")
    static let tooLarge = problem("The body is larger than the API takes (content_too_large)")
    static let notJSON = problem("The body is not sent as application/json (unsupported_media_type)")
    static let invalidField = problem("A field is missing, of the wrong type or not valid; `field` names it (validation_failed, or the calendar's refusal)")
    static let rateLimited = problem("Rate limited; see Retry-After (rate_limited)")
    static let internalError = problem("A bug; webd's log has the details (internal)")
    static let unavailable = problem("A daemon is unavailable, or new bookings are paused; see Retry-After (unavailable)")
    static let timedOut = problem("The booking core did not answer in time (deadline_exceeded)")

    /// What every operation that asks the booking core may also answer.
    static let coreResponses: [Int: (String, String, String?)] = [500: internalError, 503: unavailable, 504: timedOut]

    public static let operations: [Operation] = [
        Operation(method: "get", path: "/openapi.json", id: "openapi", summary: "This document", requestBody: nil,
                  responses: [200: ("The OpenAPI document", "application/json", nil)]),
        Operation(method: "get", path: "/slots", id: "listSlots", summary: "Free 30-minute slots in a time zone", requestBody: nil,
                  responses: coreResponses.merging([200: ("Free slots", "application/json", "Slots"), 422: problem("A parameter is not valid; `field` names it"),
                                                    429: rateLimited]) { $1 }),
        Operation(method: "get", path: "/challenge", id: "getChallenge", summary: "A proof-of-work challenge to solve before booking", requestBody: nil,
                  responses: [200: ("A challenge", "application/json", "Challenge")]),
        Operation(method: "post", path: "/bookings", id: "book", summary: "Book a slot", requestBody: "BookRequest",
                  responses: coreResponses.merging([201: ("Booked", "application/json", "Appointment"), 400: malformed,
                                                    403: problem("Proof of work missing, wrong, expired or used (proof_of_work_failed)"),
                                                    409: problem("The slot is taken, or the contact has as many upcoming bookings as allowed (contact_limit_reached)"),
                                                    413: tooLarge, 415: notJSON, 422: invalidField, 429: rateLimited]) { $1 }),
        Operation(method: "get", path: "/bookings/{reference}", id: "getBooking", summary: "A booking by its reference", requestBody: nil,
                  responses: coreResponses.merging([200: ("The booking", "application/json", "Appointment"), 400: invalidReference, 404: notFound,
                                                    429: rateLimited]) { $1 }),
        Operation(method: "post", path: "/bookings/{reference}/reschedule", id: "reschedule", summary: "Move a booking to another free slot",
                  requestBody: "RescheduleRequest",
                  responses: coreResponses.merging([200: ("The moved booking", "application/json", "Appointment"), 400: problem("Malformed body, or not a booking reference"),
                                                    404: notFound, 409: problem("The slot is taken, or the booking is cancelled"),
                                                    413: tooLarge, 415: notJSON, 422: invalidField, 429: rateLimited]) { $1 }),
        Operation(method: "post", path: "/bookings/{reference}/cancel", id: "cancel", summary: "Cancel a booking", requestBody: "CancelRequest",
                  responses: coreResponses.merging([200: ("The cancelled booking", "application/json", "Appointment"), 400: problem("Malformed body, or not a booking reference"),
                                                    404: notFound, 409: problem("The booking is not confirmed any more"),
                                                    413: tooLarge, 415: notJSON, 422: invalidField, 429: rateLimited]) { $1 }),
        Operation(method: "post", path: "/bookings/{reference}/confirm", id: "confirm",
                  summary: "Confirm a held booking (status scheduled) with the token of its email's link or the code of its email or SMS",
                  requestBody: "ConfirmRequest",
                  responses: coreResponses.merging([200: ("The confirmed booking (also when it was confirmed already)", "application/json", "Appointment"),
                                                    400: problem("Malformed body, or not a booking reference"), 404: notFound,
                                                    409: problem("The hold ended (the booking was released) or the booking is cancelled"),
                                                    413: tooLarge, 415: notJSON, 422: problem("The token or code is wrong, or neither or both were given"),
                                                    429: rateLimited]) { $1 }),
        Operation(method: "get", path: "/bookings/{reference}/calendar.ics", id: "getBookingCalendar", summary: "The booking as an iCalendar file",
                  requestBody: nil,
                  responses: coreResponses.merging([200: ("iCalendar", "text/calendar", nil), 400: invalidReference, 404: notFound, 429: rateLimited]) { $1 }),
    ]

    /// The methods a documented path answers (HEAD with GET), or nil for a path the API does not
    /// have: another method on it is answered 405 with these in `Allow`.
    public static func methods(at path: String) -> [String]? {
        guard path.hasPrefix(prefix) else { return nil }
        let asked = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        let methods = operations.filter { operation in
            let template = operation.path.split(separator: "/", omittingEmptySubsequences: false)
            return template.count == asked.count && zip(template, asked).allSatisfy { $0.hasPrefix("{") ? !$1.isEmpty : $0 == $1 }
        }.flatMap { $0.method == "get" ? ["GET", "HEAD"] : [$0.method.uppercased()] }
        return methods.isEmpty ? nil : methods
    }

    /// Where the API is served.
    public static let prefix = "/api/v1"

    /// How a client writes a reference: `BK-` (optional), 16 symbols in groups of four (dashes
    /// optional), and a check symbol; either case, with I/L read as 1 and O as 0. References of
    /// before carry one of `*~$=U` as their check symbol.
    static let referencePattern = "^(?:[Bb][Kk]-?)?(?:[0-9A-TV-Za-tv-z]{4}-?){3}[0-9A-TV-Za-tv-z]{4}[0-9A-Za-z*~$=]$"

    /// The links from a booking to what can be done with it, for clients and stateful testing.
    static var bookingLinks: [String: Any] {
        let reference = ["reference": "$response.body#/reference"]
        return [
            "GetBooking": ["operationId": "getBooking", "parameters": reference],
            "RescheduleBooking": ["operationId": "reschedule", "parameters": reference],
            "CancelBooking": ["operationId": "cancel", "parameters": reference],
            "GetBookingCalendar": ["operationId": "getBookingCalendar", "parameters": reference],
        ]
    }

    static var sourceValue: [String: Any] { ["type": "string", "maxLength": LeadSource.maximumCharacters] }

    /// A host name as `LeadSource` takes it: dot-separated labels of letters, digits and inner
    /// hyphens, each 1 to 63 long (either case; stored in lower case).
    static let hostPattern = "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"

    static func schemaRef(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static var instant: [String: Any] { ["type": "string", "format": "date-time", "examples": ["2026-12-02T11:00:00+03:00"]] }

    static var schemas: [String: Any] { [
        "Problem": [
            "type": "object", "description": "RFC 9457 problem details with the booking core's error code",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": [
                "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer", "minimum": 400, "maximum": 599], "detail": ["type": "string"],
                "code": ["type": "string", "description": "validation_failed, invalid_reference, slot_unavailable, off_grid, in_past, outside_working_hours, too_soon, beyond_horizon, not_found, invalid_transition, unavailable, contact_limit_reached, rate_limited, proof_of_work_failed, consent_required, unsupported_media_type, malformed, internal, ..."],
                "field": ["type": "string", "description": "The request field concerned, e.g. contact.email"],
                "retry_after": ["type": "integer", "minimum": 1], "references": ["type": "array", "items": ["type": "string"]],
            ],
        ],
        "Slot": [
            "type": "object", "required": ["start", "end", "local_start", "local_end", "free"],
            "properties": ["start": instant, "end": instant, "local_start": ["type": "string"], "local_end": ["type": "string"], "free": ["type": "integer"]],
        ],
        "Slots": [
            "type": "object", "required": ["time_zone", "slots", "warnings"],
            "properties": ["time_zone": ["type": "string"], "slots": ["type": "array", "items": schemaRef("Slot")], "warnings": ["type": "array", "items": ["type": "string"]]],
        ],
        "Challenge": [
            "type": "object", "description": "Find number in 0...max_number with hex(SHA-256(salt + decimal(number))) == challenge",
            "required": ["algorithm", "challenge", "max_number", "salt", "signature"],
            "properties": ["algorithm": ["const": "SHA-256"], "challenge": ["type": "string"], "max_number": ["type": "integer"], "salt": ["type": "string"], "signature": ["type": "string"]],
        ],
        "Solution": [
            "type": "object", "required": ["challenge", "salt", "signature", "number"],
            "properties": ["challenge": ["type": "string"], "salt": ["type": "string"], "signature": ["type": "string"], "number": ["type": "integer"]],
        ],
        "Contact": [
            "type": "object", "required": ["name", "email", "phone"],
            "properties": ["name": ["type": "string", "minLength": 1, "maxLength": ContactInfo.maximumNameLength],
                           "email": ["type": "string", "format": "email", "maxLength": ContactInfo.maximumEmailLength],
                           "phone": ["type": "string", "minLength": 1, "description": "With the country code, e.g. +7 916 123-45-67, or as dialled in phone_region, e.g. 07400 123456; stored in E.164. A refusal's detail is in the request's locale and shows an example"],
                           "phone_region": ["type": "string", "pattern": "^[A-Z]{2}$", "description": "The country (ISO 3166) a phone without + is dialled in, e.g. GB"],
                           "company": ["type": "string", "maxLength": ContactInfo.maximumCompanyLength]],
        ],
        "MaskedContact": [
            "type": "object", "required": ["name", "email", "phone"],
            "description": "The contact as every answer shows it: masked, enough for its client to recognise it; the company and the topic are not shown",
            "properties": ["name": ["type": "string", "examples": ["И*** П***"]], "email": ["type": "string", "examples": ["i***@example.com"]],
                           "phone": ["type": "string", "examples": ["+7916*****67"]]],
        ],
        "BookRequest": [
            "type": "object", "required": ["start", "contact", "consent", "proof_of_work"],
            "properties": ["start": instant, "contact": schemaRef("Contact"), "time_zone": ["type": "string", "description": "An IANA zone, e.g. Europe/Berlin; default the calendar's"],
                           "locale": ["enum": SupportedLocale.allCases.map(\.rawValue)],
                           "consent": ["const": true, "description": "Consent to the processing of personal data; recorded with the notice's version, the time and the masked address"],
                           "marketing_consent": ["type": "boolean", "description": "Consent to marketing, apart and optional; default false"],
                           "proof_of_work": schemaRef("Solution"),
                           "topic": ["type": "string", "maxLength": ConsultationTopic.maximumLength, "description": "What the client would like to discuss; line breaks allowed"],
                           "source": schemaRef("Source")],
        ],
        "Source": [
            "type": "object", "additionalProperties": false,
            "description": "Where the lead came from: the campaign parameters of the address the visit began with, and the referring site's host. Each value is trimmed, at most \(LeadSource.maximumCharacters) characters, without control or invisible characters; blank ones are dropped; a key not listed is refused (422, field source.<key>)",
            "properties": ["utm_source": sourceValue, "utm_medium": sourceValue, "utm_campaign": sourceValue,
                           "referrer": ["type": "string", "maxLength": LeadSource.maximumCharacters, "pattern": hostPattern,
                                        "description": "A host name only, e.g. www.example.com: no scheme, port, path or query", "examples": ["www.example.com"]]],
        ],
        "Meeting": [
            "type": "object", "required": ["format"], "description": "How the consultation happens, fixed on the booking",
            "properties": ["format": ["enum": MeetingFormat.Kind.allCases.map(\.rawValue)], "link": ["type": "string", "format": "uri", "description": "The video room (format video)"],
                           "address": ["type": "string", "description": "The office (format office)"]],
        ],
        "RescheduleRequest": ["type": "object", "required": ["start"], "properties": ["start": instant, "reason": ["type": "string", "maxLength": FieldLimits.reasonCharacters]]],
        "CancelRequest": ["type": "object", "properties": ["reason": ["type": "string", "maxLength": FieldLimits.reasonCharacters]]],
        "ConfirmRequest": [
            "type": "object", "description": "Exactly one of token and code",
            "properties": ["token": ["type": "string", "pattern": "^[0-9a-f]{32}$"], "code": ["type": "string", "pattern": "^[0-9]{6}$"]],
        ],
        "Appointment": [
            "type": "object",
            "required": ["reference", "id", "client_id", "consultant_id", "start", "end", "status", "contact", "time_zone", "locale", "created_at", "updated_at",
                         "reminder_sent", "revision"],
            "properties": [
                "reference": ["type": "string", "pattern": referencePattern, "examples": ["BK-7Q2M-9XKD-4HPR-T3WNG"]], "id": ["type": "string"], "client_id": ["type": "string"],
                "consultant_id": ["type": "string"], "start": instant, "end": instant, "status": ["enum": AppointmentStatus.allCases.map(\.rawValue)],
                "contact": schemaRef("MaskedContact"), "time_zone": ["type": "string"], "locale": ["type": "string"], "created_at": instant, "updated_at": instant,
                "reminder_sent": ["type": "boolean"], "revision": ["type": "integer", "minimum": 0], "meeting": schemaRef("Meeting"),
                "hold_expires_at": ["type": "string", "format": "date-time",
                                    "description": "While status is scheduled: when the unconfirmed booking is released"],
            ],
        ],
    ] }

    /// The headers a status comes with.
    static func headers(_ status: Int) -> [String: Any]? {
        let seconds: [String: Any] = ["schema": ["type": "integer", "minimum": 1], "description": "Seconds until a retry may succeed"]
        switch status {
        case 201: return ["Location": ["required": true, "schema": ["type": "string"], "description": "The booking's URL"]]
        case 429: return ["Retry-After": seconds.merging(["required": true]) { $1 }]
        case 503: return ["Retry-After": seconds]
        default: return nil
        }
    }

    static var document: [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            var entry: [String: Any] = ["operationId": operation.id, "summary": operation.summary]
            var parameters: [[String: Any]] = []
            if operation.path.contains("{reference}") {
                parameters.append(["name": "reference", "in": "path", "required": true, "schema": ["type": "string", "pattern": referencePattern],
                                   "description": "BK-XXXX-XXXX-XXXX-XXXXC, in either case, dashes optional"])
            }
            if operation.id == "listSlots" {
                parameters += [
                    ["name": "from", "in": "query", "schema": ["type": "string", "format": "date"], "description": "A local date in time_zone; default today"],
                    ["name": "days", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 31]],
                    ["name": "time_zone", "in": "query", "schema": ["type": "string"], "description": "IANA zone; default the calendar's"],
                ]
            }
            if operation.method == "post" {
                parameters.append(["name": "Idempotency-Key", "in": "header", "schema": ["type": "string", "pattern": APIRoutes.idempotencyKeyPattern],
                                   "description": "A retry with the same key gets the first answer (kept 24 hours)"])
            }
            if !parameters.isEmpty { entry["parameters"] = parameters }
            if let body = operation.requestBody {
                entry["requestBody"] = ["required": true, "content": ["application/json": ["schema": schemaRef(body)]]]
            }
            var responses: [String: Any] = [:]
            for (status, (description, media, schema)) in operation.responses {
                var content: [String: Any] = [:]
                content[media] = schema.map { ["schema": schemaRef($0)] } ?? [String: Any]()
                var response: [String: Any] = ["description": description, "content": content]
                if let headers = headers(status) { response["headers"] = headers }
                if operation.id == "book" && status == 201 { response["links"] = bookingLinks }
                responses[String(status)] = response
            }
            entry["responses"] = responses
            paths[operation.path, default: [:]][operation.method] = entry
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Booking suite: public booking API", "version": "1"],
            "servers": [["url": prefix]],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
    }

    public static let json: [UInt8] = {
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }()
}
