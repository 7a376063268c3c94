import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/api/v1`: JSON in and out (snake_case, instants as ISO 8601 with an offset, as on the
/// daemons' wire), errors as `application/problem+json`. The same checks as the page, except
/// those only a form can have (honeypot, minimum fill time, CSRF token: JSON posts need
/// `Content-Type: application/json`, which a cross-site form cannot send without CORS, and
/// webd answers no CORS preflight).
struct APIRoutes {
    let site: BookingWebsite

    func add(to router: Router<WebRequestContext>) {
        let api = router.group("/api/v1")
        api.get("/openapi.json") { _, _ in site.json(.ok, OpenAPIDocument.json) }
        api.get("/slots") { request, context in await slots(request, context) }
        api.get("/challenge") { _, _ in
            site.json(.ok, (try? WireJSON.encode(site.proofOfWork.challenge(now: site.clock.now()))) ?? [])
        }
        api.post("/bookings") { request, context in await book(request, context) }
        api.get("/bookings/:reference") { request, context in
            await withReference(request, context) { reference in try await site.backend.appointment(reference) }
        }
        api.post("/bookings/:reference/reschedule") { request, context in
            await withReference(request, context) { reference in
                let body = try await decode(RescheduleBody.self, request)
                let moved = try await site.backend.reschedule(RescheduleRequest(reference: reference, start: body.start, reason: body.reason),
                                                             idempotencyKey: idempotencyKey(request))
                site.logger.info("rescheduled through the API", metadata: ["reference": "\(BookingReference.masked(reference))"])
                return moved
            }
        }
        api.post("/bookings/:reference/cancel") { request, context in
            await withReference(request, context) { reference in
                let body = try await decode(CancelBody.self, request)
                let cancelled = try await site.backend.cancel(CancelRequest(reference: reference, reason: body.reason), idempotencyKey: idempotencyKey(request))
                site.logger.info("cancelled through the API", metadata: ["reference": "\(BookingReference.masked(reference))"])
                return cancelled
            }
        }
        api.get("/bookings/:reference/calendar.ics") { request, context in
            try await site.calendarFile(request, context, api: true)
        }
    }

    struct BookBody: Decodable {
        var start: Date
        var contact: ContactBody
        var timeZone: String?
        var locale: String?
        var consent: Bool?
        var proofOfWork: ProofOfWorkSolution?
    }

    struct RescheduleBody: Decodable {
        var start: Date
        var reason: String?
    }

    struct CancelBody: Decodable {
        var reason: String?
    }

    func idempotencyKey(_ request: Request) -> String? {
        request.headers[HTTPField.Name("Idempotency-Key")!].map { "api-" + $0 }
    }

    func decode<Body: Decodable>(_ type: Body.Type, _ request: Request) async throws -> Body {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("application/json") else {
            throw Problem(status: 415, code: "unsupported_media_type", detail: "send the body as application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: BookingWebsite.maximumFormBytes)
        } catch {
            throw Problem(status: 413, code: "malformed", detail: "the body is larger than \(BookingWebsite.maximumFormBytes) bytes")
        }
        do {
            return try WireJSON.decode(Body.self, from: Array(buffer: buffer))
        } catch {
            let field = WireJSON.field(of: error)
            throw Problem(status: field == nil ? 400 : 422, code: field == nil ? "malformed" : "validation_failed", detail: WireJSON.describe(error), field: field)
        }
    }

    /// Runs `work` for a well-formed reference (after the address' rate limit) and answers
    /// with the appointment or a problem.
    func withReference(_ request: Request, _ context: WebRequestContext, _ work: (String) async throws -> AppointmentBody) async -> Response {
        await answer {
            let address = site.clientAddress(request, context)
            if case .limited(let seconds) = site.limitAddress(address) {
                throw Problem(status: 429, code: "rate_limited", detail: "too many requests from \(address); retry in \(seconds) s", retryAfter: seconds)
            }
            let text = context.parameters.get("reference") ?? ""
            let reference: BookingReference
            do {
                reference = try BookingReference(parsing: text.removingPercentEncoding ?? text)
            } catch let error as ReferenceError {
                throw Problem(status: 400, code: "invalid_reference", detail: error.message, field: "reference")
            }
            return site.json(.ok, try WireJSON.encode(try await work(reference.description)))
        }
    }

    /// Turns every failure into a problem: webd's own, the booking core's, an unreachable daemon.
    func answer(_ work: () async throws -> Response) async -> Response {
        do {
            return try await work()
        } catch let problem as Problem {
            return site.problem(problem)
        } catch let error as ProtocolError {
            return site.problem(Problem(error))
        } catch let error as DaemonUnreachable {
            site.logger.warning("a daemon did not answer an API request", metadata: ["error": "\(error)"])
            var problem = Problem(status: 503, code: "unavailable", detail: "the booking service is temporarily unavailable; retry shortly")
            problem.retryAfter = 30
            return site.problem(problem)
        } catch {
            site.logger.error("API request failed", metadata: ["error": "\(error)"])
            return site.problem(Problem(status: 500, code: "internal", detail: "the request could not be handled"))
        }
    }

    func slots(_ request: Request, _ context: WebRequestContext) async -> Response {
        await answer {
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
            let body = try await site.slotCache.reply(slotsQuery) { try await site.backend.slotsJSON(slotsQuery) }
            return site.json(.ok, body)
        }
    }

    func book(_ request: Request, _ context: WebRequestContext) async -> Response {
        await answer {
            let address = site.clientAddress(request, context)
            if case .limited(let seconds) = site.limitAddress(address) {
                throw Problem(status: 429, code: "rate_limited", detail: "too many requests from \(address); retry in \(seconds) s", retryAfter: seconds)
            }
            let body = try await decode(BookBody.self, request)
            guard body.consent == true else {
                throw Problem(status: 422, code: "consent_required", detail: "consent to the processing of personal data is required (consent: true)", field: "consent")
            }
            let contact: ContactInfo
            do {
                contact = try ContactInfo.validated(name: body.contact.name, email: body.contact.email, phone: body.contact.phone, company: body.contact.company)
            } catch let error as ValidationError {
                throw Problem(status: 422, code: "validation_failed", detail: error.message, field: "contact.\(error.field)")
            }
            let zone = body.timeZone ?? site.calendarZone.identifier
            guard TimeZone(identifier: zone) != nil else {
                throw Problem(status: 422, code: "validation_failed", detail: "'\(zone)' is not an IANA time zone such as Europe/Moscow", field: "time_zone")
            }
            let locale = body.locale ?? "ru"
            guard Language(rawValue: locale) != nil else {
                throw Problem(status: 422, code: "validation_failed", detail: "locale must be 'ru' or 'en'", field: "locale")
            }
            // Last of the checks of the request itself, so a mistyped field does not cost a solution.
            do {
                try site.proofOfWork.verify(body.proofOfWork, now: site.clock.now())
            } catch {
                throw Problem(status: 403, code: "proof_of_work_failed", detail: "\(error)", field: "proof_of_work")
            }
            let key = idempotencyKey(request) ?? "pow-" + String(body.proofOfWork!.challenge.prefix(40))
            let appointment = try await site.book(start: body.start, contact: contact, timeZone: zone, locale: locale, idempotencyKey: key)
            return site.json(.created, try WireJSON.encode(appointment), headers: [.location: "/api/v1/bookings/\(appointment.reference)"])
        }
    }
}
