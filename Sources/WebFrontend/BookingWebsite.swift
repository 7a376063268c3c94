import BookingDomain
import BookingProtocol
import CivilTime
import Crypto
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Synchronization

/// webd's HTTP side: the booking page (server-rendered, enhanced by one script) and the JSON
/// API under `/api/v1`, in front of availabilityd and bookingd. Everything a request needs is
/// here; webd's `main` only wires it to the daemons and the configuration.
public final class BookingWebsite: Sendable {
    let backend: BookingBackend
    let clock: SuiteClock
    let logger: Logger
    let calendarZone: TimeZone
    let proofOfWork: ProofOfWork
    let formTokens: FormToken
    let slotCache: RecentSlotAnswers
    private let state: Mutex<State>

    struct State {
        var configuration: WebConfiguration
        var ipLimiter: RateLimiter
        var emailLimiter: RateLimiter
        var phoneLimiter: RateLimiter
        var noScriptLimiter: RateLimiter?
        var policyTexts: [Language: String]
    }

    public init(configuration: WebConfiguration, key: SymmetricKey, backend: BookingBackend, calendarZone: TimeZone, clock: SuiteClock, logger: Logger) throws {
        self.backend = backend
        self.clock = clock
        self.logger = logger
        self.calendarZone = calendarZone
        proofOfWork = ProofOfWork(key: key, difficulty: configuration.proofOfWorkDifficulty, expiry: configuration.proofOfWorkExpiry)
        formTokens = FormToken(key: key)
        slotCache = RecentSlotAnswers(lifetime: configuration.slotsCache)
        state = Mutex(try Self.state(configuration))
    }

    private static func state(_ configuration: WebConfiguration) throws -> State {
        var texts: [Language: String] = [:]
        for (language, path) in configuration.policyFiles {
            guard let lang = Language(rawValue: language) else { continue }
            texts[lang] = try String(contentsOfFile: path, encoding: .utf8)
        }
        let perHour = configuration.noScriptBookingsPerHour
        return State(
            configuration: configuration, ipLimiter: RateLimiter(policy: configuration.ipLimit),
            emailLimiter: RateLimiter(policy: configuration.emailLimit), phoneLimiter: RateLimiter(policy: configuration.phoneLimit),
            noScriptLimiter: perHour == 0 ? nil : RateLimiter(policy: .init(capacity: perHour, refillPerMinute: Double(perHour) / 60)),
            policyTexts: texts
        )
    }

    /// A reloaded configuration: limits and policy texts change at once (counters start again);
    /// the address webd listens on and the key stay until a restart.
    public func apply(_ configuration: WebConfiguration) throws {
        let fresh = try Self.state(configuration)
        state.withLock { $0 = fresh }
    }

    public var configuration: WebConfiguration { state.withLock { $0.configuration } }

    // MARK: Routes

    public func router() -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(logger: logger))
        router.get("/healthz") { _, _ in self.text(.ok, "ok\n") }
        router.get("/readyz") { _, _ in await self.readyz() }
        router.get("/assets/:name") { request, context in self.asset(request, context) }
        router.get("/") { request, context in try await self.pickPage(request, context) }
        router.get("/book") { request, context in try await self.formPage(request, context) }
        router.post("/book") { request, context in try await self.submitBooking(request, context) }
        router.get("/manage") { request, context in self.findPage(request, context) }
        router.get("/manage/:reference") { request, context in try await self.managePage(request, context) }
        router.get("/manage/:reference/calendar.ics") { request, context in try await self.calendarFile(request, context, api: false) }
        router.get("/manage/:reference/reschedule") { request, context in try await self.reschedulePage(request, context) }
        router.post("/manage/:reference/reschedule") { request, context in try await self.submitReschedule(request, context) }
        router.post("/manage/:reference/cancel") { request, context in try await self.submitCancel(request, context) }
        router.get("/policy") { request, context in self.policyPage(request, context) }
        APIRoutes(site: self).add(to: router)
        return router
    }

    public func application(host: String, port: Int) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
    }

    // MARK: Who is asking

    struct Visitor {
        var language: Language
        var zone: TimeZone
        var session: String
        var newSession: Bool
        var zoneFromQuery: Bool
        var languageFromQuery: Bool
        var address: String
        var pages: Pages
    }

    func clientAddress(_ request: Request, _ context: WebRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress
        let forwarded = request.headers[values: .xForwardedFor]
        return ClientAddress.resolve(peer: peer, forwardedFor: forwarded, trustedProxies: configuration.trustedProxies)
    }

    func visitor(_ request: Request, _ context: WebRequestContext, form: [String: String] = [:]) -> Visitor {
        let query = request.uri.queryParameters
        var language = Language.preferred(acceptLanguage: request.headers[.acceptLanguage])
        var languageFromQuery = false
        if let asked = (query.get("lang") ?? form["lang"]).flatMap(Language.init(rawValue:)) {
            language = asked
            languageFromQuery = true
        } else if let saved = request.cookies["lang"].flatMap({ Language(rawValue: $0.value) }) {
            language = saved
        }
        var zone = calendarZone
        var zoneFromQuery = false
        if let asked = (query.get("tz") ?? form["tz"]).flatMap(TimeZone.init(identifier:)) {
            zone = asked
            zoneFromQuery = true
        } else if let saved = request.cookies["tz"].flatMap({ $0.value.removingPercentEncoding }).flatMap(TimeZone.init(identifier:)) {
            zone = saved
        }
        let existing = request.cookies["bk_session"]?.value
        let session = existing.flatMap { $0.count == 32 && $0.allSatisfy(\.isHexDigit) ? $0 : nil } ?? Self.randomHex(16)
        var here = request.uri.path
        let kept = request.uri.queryParameters.filter { $0.key != "lang" }
        if !kept.isEmpty { here += "?" + kept.map { "\($0.key)=\(String($0.value).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&") }
        return Visitor(
            language: language, zone: zone, session: session, newSession: existing != session, zoneFromQuery: zoneFromQuery,
            languageFromQuery: languageFromQuery, address: clientAddress(request, context),
            pages: Pages(language: language, time: VisitorTime(zone: zone, language: language), here: here)
        )
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return ProofOfWork.hex((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    // MARK: Responses

    func html(_ status: HTTPResponse.Status = .ok, _ body: String, visitor: Visitor?, extraHeaders: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        headers.append(contentsOf: extraHeaders)
        var response = Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        if let visitor { remember(visitor, in: &response) }
        return response
    }

    func remember(_ visitor: Visitor, in response: inout Response) {
        if visitor.newSession {
            response.setCookie(Cookie(name: "bk_session", value: visitor.session, path: "/", httpOnly: true, sameSite: .lax))
        }
        if visitor.zoneFromQuery {
            response.setCookie(Cookie(name: "tz", value: visitor.zone.identifier, maxAge: 365 * 86_400, path: "/", httpOnly: false, sameSite: .lax))
        }
        if visitor.languageFromQuery {
            response.setCookie(Cookie(name: "lang", value: visitor.language.rawValue, maxAge: 365 * 86_400, path: "/", httpOnly: false, sameSite: .lax))
        }
    }

    func redirect(_ location: String, visitor: Visitor?) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        if let visitor { remember(visitor, in: &response) }
        return response
    }

    func text(_ status: HTTPResponse.Status, _ body: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func json(_ status: HTTPResponse.Status, _ bytes: [UInt8], headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func problem(_ problem: Problem) -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let retry = problem.retryAfter { headers[.retryAfter] = String(retry) }
        return Response(status: HTTPResponse.Status(code: problem.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: problem.json)))
    }

    func readyz() async -> Response {
        let states = await backend.readiness()
        let ready = states.allSatisfy(\.ready)
        let lines = states.map { "\($0.daemon): \($0.ready ? "ready" : "not ready") (\($0.detail))" }.joined(separator: "\n")
        return text(ready ? .ok : .serviceUnavailable, (ready ? "ready\n" : "not ready\n") + lines + "\n")
    }

    func asset(_ request: Request, _ context: WebRequestContext) -> Response {
        guard let name = context.parameters.get("name"), let asset = Asset.all[name] else { return text(.notFound, "not found\n") }
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: [.eTag: asset.etag])
        }
        return Response(status: .ok, headers: [.contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }

    // MARK: Limits

    enum Refusal: Error {
        case limited(Int)
    }

    /// Takes a token from the client address' bucket.
    func limitAddress(_ address: String) -> RateLimiter.Decision {
        state.withLock { $0.ipLimiter }.take(address, now: clock.now())
    }

    /// Email and phone buckets: both are checked before either is charged, so one refused
    /// request does not use up the other's allowance.
    func limitContact(email: String, phone: String) -> RateLimiter.Decision {
        let (emailLimiter, phoneLimiter) = state.withLock { ($0.emailLimiter, $0.phoneLimiter) }
        let now = clock.now()
        let emailKey = email.lowercased()
        for (limiter, key) in [(emailLimiter, emailKey), (phoneLimiter, phone)] {
            if case .limited(let seconds) = limiter.wouldAllow(key, now: now) { return .limited(retryAfterSeconds: seconds) }
        }
        _ = emailLimiter.take(emailKey, now: now)
        _ = phoneLimiter.take(phone, now: now)
        return .allowed
    }

    func takeNoScriptBooking() -> Bool {
        guard let limiter = state.withLock({ $0.noScriptLimiter }) else { return false }
        return limiter.take("no-script", now: clock.now()) == .allowed
    }

    var policyTexts: [Language: String] { state.withLock { $0.policyTexts } }

    func policyLink(_ language: Language) -> String {
        configuration.policyURL ?? "/policy?lang=\(language.rawValue)"
    }

    // MARK: Shared by the page and the API

    /// A new booking's checks after the request is read: contact limits, the future-bookings
    /// limit, then bookingd. Throws `Problem` for webd's own refusals and bookingd's errors as
    /// they come.
    func book(start: Date, contact: ContactInfo, timeZone: String, locale: String, idempotencyKey: String) async throws -> AppointmentBody {
        if case .limited(let seconds) = limitContact(email: contact.email, phone: contact.phone) {
            throw Problem(status: 429, code: "rate_limited", detail: "too many booking attempts for this email or phone; retry in \(seconds) s", retryAfter: seconds)
        }
        let limit = configuration.maxFutureBookingsPerContact
        let upcoming = try await backend.upcoming(email: contact.email, phone: contact.phone, now: clock.now(), limit: limit + 1)
        if upcoming.email >= limit || upcoming.phone >= limit {
            throw Problem(status: 409, code: "too_many_bookings", detail: "this email or phone already has \(limit) upcoming bookings; reschedule or cancel one",
                          field: upcoming.email >= limit ? "contact.email" : "contact.phone")
        }
        let request = BookRequest(
            start: start, contact: ContactBody(name: contact.name, email: contact.email, phone: contact.phone, company: contact.company),
            timeZone: timeZone, locale: locale
        )
        let appointment = try await backend.book(request, idempotencyKey: idempotencyKey)
        Counter(label: "webd_bookings_total").increment()
        logger.info("booked through the web", metadata: [
            "reference": "\(BookingReference.masked(appointment.reference))", "start": "\(WireJSON.formatInstant(appointment.start))", "contact": "\(contact.masked)",
        ])
        return appointment
    }

    /// A reference from a URL, in canonical form, or nil when it is not one.
    static func reference(_ text: String?) -> BookingReference? {
        guard let text else { return nil }
        return try? BookingReference(parsing: text.removingPercentEncoding ?? text)
    }

    func manageURL(_ reference: String) -> String { configuration.manageBase + reference }

    /// The slots of the two-week window for a visitor.
    func calendar(for visitor: Visitor, asked: String?) async throws -> Pages.Calendar {
        let now = clock.now()
        let today = LocalDate.containing(now, in: visitor.zone)
        let reply = try await backend.slots(SlotsRequest(from: today.description, days: 14, timeZone: visitor.zone.identifier))
        let grouped = Pages.Calendar.group(reply.slots)
        let lastDay = today.adding(days: 13)
        let selected = Pages.Calendar.pick(asked.flatMap(LocalDate.init), today: today, lastDay: lastDay, slotsByDay: grouped)
        return Pages.Calendar(today: today, lastDay: lastDay, selected: selected, slotsByDay: grouped, zones: configuration.timeZones)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}

/// Headers on every response: a strict CSP (scripts only from this origin, never inline),
/// no referrer (a manage link is a secret), no sniffing, no framing. Also the one place
/// requests are logged, with any reference in the path masked.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let logger: Logger

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            if request.uri.path.hasPrefix("/api/") {
                let code = error.status == .notFound ? "not_found_route" : "method_not_allowed"
                let problem = Problem(status: Int(error.status.code), code: code, detail: "\(request.method) \(request.uri.path) is not part of the API; see /api/v1/openapi.json")
                response = Response(status: error.status, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(bytes: problem.json)))
            } else {
                let language = Language.preferred(acceptLanguage: request.headers[.acceptLanguage])
                let pages = Pages(language: language, time: VisitorTime(zone: VisitorTime.moscow, language: language), here: "/")
                response = Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: pages.messagePage(title: "404", message: language.text(.notFoundPage)))))
            }
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=()"
        Counter(label: "webd_http_responses_total", dimensions: [("class", "\(response.status.code / 100)xx")]).increment()
        logger.debug("http", metadata: ["method": "\(request.method)", "path": "\(Self.maskedPath(request.uri.path))", "status": "\(response.status.code)"])
        return response
    }

    /// `/manage/BK-7Q2M-****-****-****G/cancel`: the path as a log may show it.
    static func maskedPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.uppercased().hasPrefix("BK") && part.count > 6 ? BookingReference.masked(String(part)) : String(part)
        }.joined(separator: "/")
    }
}
