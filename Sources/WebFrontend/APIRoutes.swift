import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WebInput

/// `/api/v1`: JSON in and out (snake_case, instants as ISO 8601 with an offset, as on the
/// daemons' wire), errors as `application/problem+json`. The same checks as the page, except
/// those only a form can have (honeypot, minimum fill time, CSRF token: JSON posts need
/// `Content-Type: application/json`, which a cross-site form cannot send without CORS, and
/// webd answers no CORS preflight).
struct APIRoutes {
    let site: BookingWebsite

    /// Every handler throws what went wrong; `ErrorResponseMiddleware` answers it as a problem.
    func add(to router: Router<WebRequestContext>) {
        let api = router.group(RouterPath(OpenAPIDocument.prefix))
        api.get("/openapi.json") { _, _ in site.json(.ok, OpenAPIDocument.json) }
        api.get("/slots") { request, context in try await slots(request, context) }
        api.get("/challenge") { _, _ in
            site.json(.ok, try WireJSON.encode(await site.challenge(now: site.clock.now())))
        }
        api.post("/bookings") { request, context in try await book(request, context) }
        api.get("/bookings/:reference") { request, context in
            try appointment(try await site.services.appointment(try reference(request, context)))
        }
        api.post("/bookings/:reference/reschedule") { request, context in
            let reference = try reference(request, context)
            let body = try await decode(RescheduleBody.self, request)
            let moved = try await site.services.reschedule(RescheduleRequest(reference: reference, start: body.start, reason: body.reason),
                                                          idempotencyKey: try idempotencyKey(request))
            site.logger.info("rescheduled through the API", metadata: ["reference": "\(BookingReference.masked(reference))"])
            return try appointment(moved)
        }
        api.post("/bookings/:reference/cancel") { request, context in
            let reference = try reference(request, context)
            let body = try await decode(CancelBody.self, request)
            let cancelled = try await site.services.cancel(CancelRequest(reference: reference, reason: body.reason), idempotencyKey: try idempotencyKey(request))
            site.logger.info("cancelled through the API", metadata: ["reference": "\(BookingReference.masked(reference))"])
            return try appointment(cancelled)
        }
        api.post("/bookings/:reference/confirm") { request, context in
            let reference = try reference(request, context)
            if case .limited(let seconds) = site.limitAddress(site.clientAddress(request, context)) {
                throw Problem(status: 429, code: "rate_limited", detail: "too many requests; retry in \(seconds) s", retryAfter: seconds)
            }
            let body = try await decode(ConfirmBody.self, request)
            let confirmed = try await site.services.confirm(ConfirmRequest(reference: reference, token: body.token, code: body.code))
            site.logger.info("confirmed through the API", metadata: ["reference": "\(BookingReference.masked(reference))"])
            return try appointment(confirmed)
        }
        api.get("/bookings/:reference/calendar.ics") { request, context in
            let found = try await site.services.appointment(try reference(request, context))
            return site.calendarFile(found, language: SupportedLocale.preferred(acceptLanguage: request.headers[.acceptLanguage]))
        }
    }

    /// 1 to 100 visible ASCII characters: prefixed, it stays within bookingd's limit of an
    /// idempotency key (`FieldLimits.idempotencyKeyBytes`). The OpenAPI pattern and the check
    /// below are both made from these two.
    static let idempotencyKeyLengths = 1...100
    static let visibleASCII = UInt8(ascii: "!")...UInt8(ascii: "~")
    static let idempotencyKeyPattern =
        "^[\(Character(UnicodeScalar(visibleASCII.lowerBound)))-\(Character(UnicodeScalar(visibleASCII.upperBound)))]{\(idempotencyKeyLengths.lowerBound),\(idempotencyKeyLengths.upperBound)}$"

    func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard Self.idempotencyKeyLengths.contains(key.utf8.count), key.utf8.allSatisfy(Self.visibleASCII.contains) else {
            throw Problem(status: 422, code: ErrorCode.validationFailed.rawValue,
                          detail: "Idempotency-Key must be \(Self.idempotencyKeyLengths.lowerBound) to \(Self.idempotencyKeyLengths.upperBound) visible ASCII characters",
                          field: "Idempotency-Key")
        }
        return "api-" + key
    }

    func decode<Body: Decodable>(_ type: Body.Type, _ request: Request) async throws -> Body {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("application/json") else {
            throw Problem(status: 415, code: "unsupported_media_type", detail: "send the body as application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: BookingWebsite.maximumFormBytes)
        } catch {
            throw Problem(status: 413, code: "content_too_large", detail: "the body is larger than \(BookingWebsite.maximumFormBytes) bytes")
        }
        let bytes = Array(buffer: buffer)
        // JSON is UTF-8 (RFC 8259 §8.1); JSONDecoder would guess another encoding and read it.
        if let encoding = WireText.foreignEncoding(of: bytes) ?? Self.declaredForeignCharset(contentType) {
            throw Problem(status: 415, code: "unsupported_media_type", detail: "the body is \(encoding); send application/json in UTF-8")
        }
        do {
            return try WireJSON.decode(Body.self, from: bytes)
        } catch {
            throw Problem(WireJSON.refusal(of: error, decoding: bytes, in: "the body"))
        }
    }

    /// A client's `source`, checked as bookingd will check it, so a refusal names the value
    /// (`source.utm_campaign`) before a proof of work is spent on it.
    static func leadSource(_ body: SourceBody?) throws(Problem) -> LeadSourceBody? {
        guard let body else { return nil }
        do {
            return try LeadSource.validated(utmSource: body.utmSource, utmMedium: body.utmMedium, utmCampaign: body.utmCampaign, referrer: body.referrer)
                .map { LeadSourceBody(utmSource: $0.utmSource, utmMedium: $0.utmMedium, utmCampaign: $0.utmCampaign, referrer: $0.referrer) }
        } catch {
            throw Problem(status: 422, code: ErrorCode.validationFailed.rawValue, detail: error.message, field: "source.\(error.field)")
        }
    }

    /// A `charset` parameter other than UTF-8 (`application/json; charset=utf-16`), upper-cased.
    static func declaredForeignCharset(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "charset" else { continue }
            let charset = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")).uppercased()
            return charset == "UTF-8" || charset == "UTF8" ? nil : charset
        }
        return nil
    }

    /// The reference in the path, in canonical form, after the client address' rate limit.
    func reference(_ request: Request, _ context: WebRequestContext) throws -> String {
        let address = site.clientAddress(request, context)
        if case .limited(let seconds) = site.limitAddress(address) {
            throw Problem(status: 429, code: "rate_limited", detail: "too many requests from \(address); retry in \(seconds) s", retryAfter: seconds)
        }
        let text = context.parameters.get("reference") ?? ""
        do {
            return try BookingReference(parsing: text.removingPercentEncoding ?? text).description
        } catch {
            throw Problem(status: 400, code: "invalid_reference", detail: error.message, field: "reference")
        }
    }

    func appointment(_ appointment: AppointmentBody) throws -> Response {
        site.json(.ok, try WireJSON.encode(appointment))
    }

    func slots(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        try site.limitSlotQuery(site.clientAddress(request, context))
        let query = request.uri.queryParameters
        var days: Int?
        if let text = query.get("days") {
            guard let value = Int(text), (1...31).contains(value) else {
                throw Problem(status: 422, code: "validation_failed", detail: "days must be a whole number from 1 to 31", field: "days")
            }
            days = value
        }
        let from = query.get("from")
        if let from, LocalDate(from) == nil {
            throw Problem(status: 422, code: "validation_failed", detail: "'\(from)' is not a date YYYY-MM-DD", field: "from")
        }
        let zone = query.get("time_zone") ?? query.get("tz")
        if let zone, TimeZone(identifier: zone) == nil {
            throw Problem(status: 422, code: "validation_failed", detail: "'\(zone)' is not an IANA time zone such as Europe/Moscow", field: "time_zone")
        }
        let slotsQuery = SlotsRequest(from: from, days: days, timeZone: zone)
        let body = try await site.slotCache.reply(slotsQuery) { try await site.services.slotsJSON(slotsQuery) }
        return site.json(.ok, body)
    }

    func book(_ request: Request, _ context: WebRequestContext) async throws -> Response {
        let address = site.clientAddress(request, context)
        if case .limited(let seconds) = site.limitAddress(address) {
            throw Problem(status: 429, code: "rate_limited", detail: "too many requests from \(address); retry in \(seconds) s", retryAfter: seconds)
        }
        let givenKey = try idempotencyKey(request)
        let body = try await decode(BookBody.self, request)
        guard body.consent == true else {
            throw Problem(status: 422, code: "consent_required", detail: "consent to the processing of personal data is required (consent: true)", field: "consent")
        }
        let contact: ContactInfo
        do {
            contact = try ContactInfo.validated(name: body.contact.name, email: body.contact.email, phone: body.contact.phone,
                                                phoneRegion: body.contact.phoneRegion, company: body.contact.company)
        } catch {
            // A refused number is told in the client's language with an example to follow.
            let detail = error.field == .phone
                ? SupportedLocale(identifier: body.locale ?? SupportedLocale.fallback.rawValue).text(.invalidContact(error.field, error.kind))
                : error.message
            throw Problem(status: 422, code: ErrorCode.validationFailed.rawValue, detail: detail, field: "contact.\(error.field.rawValue)")
        }
        let topic: String?
        do {
            topic = try ConsultationTopic.validated(body.topic)
        } catch {
            throw Problem(status: 422, code: ErrorCode.validationFailed.rawValue, detail: error.message, field: "topic")
        }
        let zone = body.timeZone ?? site.calendarZone.identifier
        guard TimeZone(identifier: zone) != nil else {
            throw Problem(status: 422, code: "validation_failed", detail: "'\(zone)' is not an IANA time zone such as Europe/Moscow", field: "time_zone")
        }
        let locale = body.locale ?? SupportedLocale.fallback.rawValue
        guard SupportedLocale(rawValue: locale) != nil else {
            let names = SupportedLocale.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            throw Problem(status: 422, code: "validation_failed", detail: "locale must be \(names)", field: "locale")
        }
        let source = try Self.leadSource(body.source)
        // Last of the checks of the request itself, so a mistyped field does not cost a solution.
        do {
            try site.proofOfWork.verify(body.proofOfWork, now: site.clock.now())
        } catch {
            throw Problem(status: 403, code: "proof_of_work_failed", detail: "\(error)", field: "proof_of_work")
        }
        let key = givenKey ?? "pow-" + String(body.proofOfWork!.challenge.prefix(40))
        let appointment = try await site.book(start: body.start, contact: contact, topic: topic, timeZone: zone, locale: locale,
                                              marketing: body.marketingConsent ?? false, address: address, idempotencyKey: key, source: source)
        return site.json(.created, try WireJSON.encode(appointment), headers: [.location: "/api/v1/bookings/\(appointment.reference)"])
    }
}
