import BookingDomain
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

    static let problemResponses: [Int: (String, String, String?)] = [
        400: ("Malformed request or reference", "application/problem+json", "Problem"),
        404: ("No booking has this reference", "application/problem+json", "Problem"),
        429: ("Rate limited; see Retry-After", "application/problem+json", "Problem"),
        503: ("A daemon is unavailable", "application/problem+json", "Problem"),
    ]

    public static let operations: [Operation] = [
        Operation(method: "get", path: "/openapi.json", id: "openapi", summary: "This document", requestBody: nil,
                  responses: [200: ("The OpenAPI document", "application/json", nil)]),
        Operation(method: "get", path: "/slots", id: "listSlots", summary: "Free 30-minute slots in a time zone", requestBody: nil,
                  responses: [200: ("Free slots", "application/json", "Slots"), 422: ("A parameter is not valid", "application/problem+json", "Problem"),
                              503: problemResponses[503]!]),
        Operation(method: "get", path: "/challenge", id: "getChallenge", summary: "A proof-of-work challenge to solve before booking", requestBody: nil,
                  responses: [200: ("A challenge", "application/json", "Challenge")]),
        Operation(method: "post", path: "/bookings", id: "book", summary: "Book a slot", requestBody: "BookRequest",
                  responses: [201: ("Booked", "application/json", "Appointment"), 400: problemResponses[400]!,
                              403: ("Proof of work missing, wrong, expired or used", "application/problem+json", "Problem"),
                              409: ("The slot is taken, or the contact has as many upcoming bookings as allowed (contact_limit_reached)", "application/problem+json", "Problem"),
                              415: ("Not application/json", "application/problem+json", "Problem"),
                              422: ("A field is not valid (see `field`)", "application/problem+json", "Problem"),
                              429: problemResponses[429]!, 503: problemResponses[503]!]),
        Operation(method: "get", path: "/bookings/{reference}", id: "getBooking", summary: "A booking by its reference", requestBody: nil,
                  responses: [200: ("The booking", "application/json", "Appointment"), 400: problemResponses[400]!, 404: problemResponses[404]!,
                              429: problemResponses[429]!, 503: problemResponses[503]!]),
        Operation(method: "post", path: "/bookings/{reference}/reschedule", id: "reschedule", summary: "Move a booking to another free slot",
                  requestBody: "RescheduleRequest",
                  responses: [200: ("The moved booking", "application/json", "Appointment"), 400: problemResponses[400]!, 404: problemResponses[404]!,
                              409: ("The slot is taken, or the booking is cancelled", "application/problem+json", "Problem"),
                              415: ("Not application/json", "application/problem+json", "Problem"),
                              422: ("A field is not valid", "application/problem+json", "Problem"), 429: problemResponses[429]!, 503: problemResponses[503]!]),
        Operation(method: "post", path: "/bookings/{reference}/cancel", id: "cancel", summary: "Cancel a booking", requestBody: "CancelRequest",
                  responses: [200: ("The cancelled booking", "application/json", "Appointment"), 400: problemResponses[400]!, 404: problemResponses[404]!,
                              409: ("The booking is not confirmed any more", "application/problem+json", "Problem"),
                              415: ("Not application/json", "application/problem+json", "Problem"),
                              422: ("A field is not valid", "application/problem+json", "Problem"), 429: problemResponses[429]!, 503: problemResponses[503]!]),
        Operation(method: "post", path: "/bookings/{reference}/confirm", id: "confirm",
                  summary: "Confirm a held booking (status scheduled) with the token of its email's link or the code of its email or SMS",
                  requestBody: "ConfirmRequest",
                  responses: [200: ("The confirmed booking (also when it was confirmed already)", "application/json", "Appointment"), 400: problemResponses[400]!,
                              404: problemResponses[404]!,
                              409: ("The hold ended (the booking was released) or the booking is cancelled", "application/problem+json", "Problem"),
                              415: ("Not application/json", "application/problem+json", "Problem"),
                              422: ("The token or code is wrong, or neither or both were given", "application/problem+json", "Problem"),
                              429: problemResponses[429]!, 503: problemResponses[503]!]),
        Operation(method: "get", path: "/bookings/{reference}/calendar.ics", id: "getBookingCalendar", summary: "The booking as an iCalendar file",
                  requestBody: nil,
                  responses: [200: ("iCalendar", "text/calendar", nil), 400: problemResponses[400]!, 404: problemResponses[404]!, 429: problemResponses[429]!,
                              503: problemResponses[503]!]),
    ]

    static func schemaRef(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static var instant: [String: Any] { ["type": "string", "format": "date-time", "examples": ["2026-12-02T11:00:00+03:00"]] }

    static var schemas: [String: Any] { [
        "Problem": [
            "type": "object", "description": "RFC 9457 problem details with the booking core's error code",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": [
                "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"], "detail": ["type": "string"],
                "code": ["type": "string", "description": "validation_failed, invalid_reference, slot_unavailable, off_grid, in_past, outside_working_hours, too_soon, beyond_horizon, not_found, invalid_transition, unavailable, contact_limit_reached, rate_limited, proof_of_work_failed, consent_required, unsupported_media_type, malformed, internal, ..."],
                "field": ["type": "string", "description": "The request field concerned, e.g. contact.email"],
                "retry_after": ["type": "integer"], "references": ["type": "array", "items": ["type": "string"]],
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
            "properties": ["name": ["type": "string", "maxLength": 100], "email": ["type": "string", "format": "email"],
                           "phone": ["type": "string", "description": "With the country code, e.g. +7 916 123-45-67, or as dialled in phone_region, e.g. 07400 123456; stored in E.164. A refusal's detail is in the request's locale and shows an example"],
                           "phone_region": ["type": "string", "pattern": "^[A-Z]{2}$", "description": "The country (ISO 3166) a phone without + is dialled in, e.g. GB"],
                           "company": ["type": "string", "maxLength": 200]],
        ],
        "BookRequest": [
            "type": "object", "required": ["start", "contact", "consent", "proof_of_work"],
            "properties": ["start": instant, "contact": schemaRef("Contact"), "time_zone": ["type": "string"], "locale": ["enum": SupportedLocale.allCases.map(\.rawValue)],
                           "consent": ["const": true], "proof_of_work": schemaRef("Solution"),
                           "topic": ["type": "string", "maxLength": ConsultationTopic.maximumLength, "description": "What the client would like to discuss; line breaks allowed"]],
        ],
        "Meeting": [
            "type": "object", "required": ["format"], "description": "How the consultation happens, fixed on the booking",
            "properties": ["format": ["enum": MeetingFormat.Kind.allCases.map(\.rawValue)], "link": ["type": "string", "format": "uri", "description": "The video room (format video)"],
                           "address": ["type": "string", "description": "The office (format office)"]],
        ],
        "RescheduleRequest": ["type": "object", "required": ["start"], "properties": ["start": instant, "reason": ["type": "string", "maxLength": 500]]],
        "CancelRequest": ["type": "object", "properties": ["reason": ["type": "string", "maxLength": 500]]],
        "ConfirmRequest": [
            "type": "object", "description": "Exactly one of token and code",
            "properties": ["token": ["type": "string", "pattern": "^[0-9a-f]{32}$"], "code": ["type": "string", "pattern": "^[0-9]{6}$"]],
        ],
        "Appointment": [
            "type": "object", "required": ["reference", "start", "end", "status", "contact", "time_zone", "locale"],
            "properties": [
                "reference": ["type": "string", "examples": ["BK-7Q2M-9XKD-4HPR-T3WNG"]], "id": ["type": "string"], "client_id": ["type": "string"],
                "consultant_id": ["type": "string"], "start": instant, "end": instant, "status": ["enum": AppointmentStatus.allCases.map(\.rawValue)],
                "contact": schemaRef("Contact"), "time_zone": ["type": "string"], "locale": ["type": "string"], "created_at": instant, "updated_at": instant,
                "reminder_sent": ["type": "boolean"], "meeting": schemaRef("Meeting"), "topic": ["type": "string"],
                "hold_expires_at": ["type": "string", "format": "date-time",
                                    "description": "While status is scheduled: when the unconfirmed booking is released"],
            ],
        ],
    ] }

    static var document: [String: Any] {
        var paths: [String: [String: Any]] = [:]
        for operation in operations {
            var entry: [String: Any] = ["operationId": operation.id, "summary": operation.summary]
            var parameters: [[String: Any]] = []
            if operation.path.contains("{reference}") {
                parameters.append(["name": "reference", "in": "path", "required": true, "schema": ["type": "string"]])
            }
            if operation.id == "listSlots" {
                parameters += [
                    ["name": "from", "in": "query", "schema": ["type": "string", "format": "date"], "description": "A local date in time_zone; default today"],
                    ["name": "days", "in": "query", "schema": ["type": "integer", "minimum": 1, "maximum": 31]],
                    ["name": "time_zone", "in": "query", "schema": ["type": "string"], "description": "IANA zone; default the calendar's"],
                ]
            }
            if operation.method == "post" && operation.id != "book" || operation.id == "book" {
                if operation.method == "post" {
                    parameters.append(["name": "Idempotency-Key", "in": "header", "schema": ["type": "string", "maxLength": 100]])
                }
            }
            if !parameters.isEmpty { entry["parameters"] = parameters }
            if let body = operation.requestBody {
                entry["requestBody"] = ["required": true, "content": ["application/json": ["schema": schemaRef(body)]]]
            }
            var responses: [String: Any] = [:]
            for (status, (description, media, schema)) in operation.responses {
                var content: [String: Any] = [:]
                content[media] = schema.map { ["schema": schemaRef($0)] } ?? [String: Any]()
                responses[String(status)] = ["description": description, "content": content]
            }
            entry["responses"] = responses
            paths[operation.path, default: [:]][operation.method] = entry
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Booking suite: public booking API", "version": "1"],
            "servers": [["url": "/api/v1"]],
            "paths": paths,
            "components": ["schemas": schemas],
        ]
    }

    public static let json: [UInt8] = {
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }()
}
