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
import NIOConcurrencyHelpers
import NIOCore

/// webd's HTTP side: the booking page (server-rendered, enhanced by one script) and the JSON
/// API under `/api/v1`, in front of the booking core (`BookingServices`). Everything a request
/// needs is here; webd's `main` only wires it to the daemons and the configuration.
public final class BookingWebsite: Sendable {
    let services: any BookingServices
    let clock: SuiteClock
    let logger: Logger
    let calendarZone: TimeZone
    let proofOfWork: ProofOfWork
    let formTokens: FormToken
    let slotCache: RecentSlotAnswers
    let visitTokens: VisitToken
    let funnel: FunnelReports
    private let state: NIOLockedValueBox<State>
    /// Whether bookingd held bookings when last asked, and when that was.
    private let holding = NIOLockedValueBox<(holds: Bool, askedAt: Date)>((false, .distantPast))

    struct State {
        var configuration: WebConfiguration
        var ipLimiter: RateLimiter
        var slotLimiter: RateLimiter
        var emailLimiter: RateLimiter
        var phoneLimiter: RateLimiter
        var noScriptLimiter: RateLimiter?
        var policyTexts: [SupportedLocale: String]
        /// Each language's notice version (`noticeVersion`), worked out when the texts are read.
        var noticeVersions: [SupportedLocale: String]
    }

    public init(configuration: WebConfiguration, key: SymmetricKey, services: any BookingServices, calendarZone: TimeZone, clock: SuiteClock,
                logger: Logger) throws {
        self.services = services
        self.clock = clock
        self.logger = logger
        self.calendarZone = calendarZone
        proofOfWork = ProofOfWork(key: key, difficulty: configuration.proofOfWorkDifficulty, raisedDifficulty: configuration.proofOfWorkRaisedDifficulty,
                                  expiry: configuration.proofOfWorkExpiry)
        formTokens = FormToken(key: key)
        slotCache = RecentSlotAnswers(lifetime: configuration.slotsCache)
        visitTokens = VisitToken(siteKey: key)
        funnel = FunnelReports(services: services, logger: logger)
        state = NIOLockedValueBox(try Self.state(configuration))
    }

    private static func state(_ configuration: WebConfiguration) throws -> State {
        var texts: [SupportedLocale: String] = [:]
        var files: [SupportedLocale: String] = [:]
        for (language, path) in configuration.policyFiles {
            guard let lang = SupportedLocale(rawValue: language) else { continue }
            texts[lang] = try String(contentsOfFile: path, encoding: .utf8)
            files[lang] = path
        }
        var versions: [SupportedLocale: String] = [:]
        for language in SupportedLocale.allCases {
            versions[language] = noticeVersion(language, configuration: configuration, texts: texts, files: files)
        }
        let perHour = configuration.noScriptBookingsPerHour
        return State(
            configuration: configuration, ipLimiter: RateLimiter(policy: configuration.ipLimit),
            slotLimiter: RateLimiter(policy: configuration.slotLimit),
            emailLimiter: RateLimiter(policy: configuration.emailLimit), phoneLimiter: RateLimiter(policy: configuration.phoneLimit),
            noScriptLimiter: perHour == 0 ? nil : RateLimiter(policy: .init(capacity: perHour, refillPerMinute: Double(perHour) / 60)),
            policyTexts: texts, noticeVersions: versions
        )
    }

    /// Which processing notice a client accepted: `web.policy_version` when the operator names
    /// it, else the served text's file and SHA-256 (so a changed text is another version), else
    /// the policy's address. The text served in a language is its own, or the first there is.
    private static func noticeVersion(_ language: SupportedLocale, configuration: WebConfiguration, texts: [SupportedLocale: String],
                                      files: [SupportedLocale: String]) -> String {
        if let version = configuration.policyVersion { return version }
        let served = texts[language] != nil ? language : texts.keys.min { $0.rawValue < $1.rawValue }
        if let served, let text = texts[served], let path = files[served] {
            let digest = SHA256.hash(data: Array(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
            return (path as NSString).lastPathComponent + "@sha256:" + digest
        }
        return configuration.policyURL ?? "/policy"
    }

    /// A reloaded configuration: limits and policy texts change at once (counters start again);
    /// the address webd listens on and the key stay until a restart.
    public func apply(_ configuration: WebConfiguration) throws {
        let fresh = try Self.state(configuration)
        state.withLockedValue { $0 = fresh }
    }

    public var configuration: WebConfiguration { state.withLockedValue { $0.configuration } }

    /// A challenge as hard as bookingd's mode asks: raised while it holds bookings. bookingd is
    /// asked at most every 5 seconds; one that does not answer leaves the last answer standing.
    func challenge(now: Date) async -> ProofOfWorkChallenge {
        let (holds, askedAt) = holding.withLockedValue { $0 }
        var raised = holds
        if now.timeIntervalSince(askedAt) >= 5 || now < askedAt {
            holding.withLockedValue { $0.askedAt = now }
            if let answer = try? await services.holdsBookings() {
                raised = answer
                holding.withLockedValue { $0.holds = answer }
            }
        }
        return proofOfWork.challenge(now: now, raised: raised)
    }

    // MARK: Routes

    public func router() -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware(logger: logger) { self.configuration.branding.embedOrigins })
        router.add(middleware: ErrorResponseMiddleware(logger: logger) { self.configuration.branding })
        router.get("/healthz") { _, _ in self.text(.ok, "ok\n") }
        router.get("/readyz") { _, _ in await self.readyz() }
        router.get("/assets/:name") { request, context in self.asset(request, context) }
        router.get("/brand.css") { _, _ in self.text(.ok, self.configuration.branding.stylesheet, contentType: "text/css; charset=utf-8") }
        router.get("/logo") { request, _ in self.logo(request) }
        router.get("/embed.js") { request, _ in self.embedScript(request) }
        router.get("/") { request, context in try await self.pickPage(request, context) }
        router.get("/book") { request, context in try await self.formPage(request, context) }
        router.post("/book") { request, context in try await self.submitBooking(request, context) }
        router.get("/manage") { request, context in self.findPage(request, context) }
        router.get("/manage/:reference") { request, context in try await self.managePage(request, context) }
        router.get("/manage/:reference/calendar.ics") { request, context in try await self.calendarFile(request, context) }
        router.get("/manage/:reference/reschedule") { request, context in try await self.reschedulePage(request, context) }
        router.post("/manage/:reference/reschedule") { request, context in try await self.withPostedBooking(request, context, self.submitReschedule) }
        router.post("/manage/:reference/cancel") { request, context in try await self.withPostedBooking(request, context, self.submitCancel) }
        router.get("/manage/:reference/confirm") { request, context in try await self.confirmPage(request, context) }
        router.post("/manage/:reference/confirm") { request, context in try await self.withPostedBooking(request, context, self.submitConfirm) }
        router.post("/manage/:reference/data") { request, context in try await self.withPostedBooking(request, context, self.submitDataRequest) }
        router.get("/manage/:reference/data") { request, context in try await self.dataRequestPage(request, context) }
        router.post("/manage/:reference/data/confirm") { request, context in try await self.withPostedBooking(request, context, self.submitDataConfirmation) }
        router.get("/manage/:reference/outcome") { request, context in try await self.outcomeLinkPage(request, context) }
        router.post("/manage/:reference/outcome") { request, context in try await self.withPostedBooking(request, context, self.submitOutcome) }
        router.get("/policy") { request, context in self.policyPage(request, context) }
        router.get("/feeds/:file") { request, context in try await self.calendarFeed(request, context) }
        APIRoutes(site: self).add(to: router)
        return router
    }

    public func application(host: String, port: Int) -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: nil), logger: logger)
    }

    // MARK: Who is asking

    struct Visitor {
        var language: SupportedLocale
        var zone: TimeZone
        var session: String
        var newSession: Bool
        var zoneFromQuery: Bool
        /// Sent by the visitor (in the query or the cookie), not the calendar's by default.
        var zoneIsTheVisitors: Bool
        var languageFromQuery: Bool
        var address: String
        var pages: Pages

        /// The phone field's first country, by the visitor's language and their own zone.
        var defaultPhoneRegion: String { language.defaultPhoneRegion(visitorZone: zoneIsTheVisitors ? zone : nil) }
    }

    func clientAddress(_ request: Request, _ context: WebRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress
        let forwarded = request.headers[values: .xForwardedFor]
        return ClientAddress.resolve(peer: peer, forwardedFor: forwarded, trustedProxies: configuration.trustedProxies)
    }

    func visitor(_ request: Request, _ context: WebRequestContext, form: [String: String] = [:]) -> Visitor {
        let query = request.uri.queryParameters
        var language = SupportedLocale.preferred(acceptLanguage: request.headers[.acceptLanguage])
        var languageFromQuery = false
        if let asked = (query.get("lang") ?? form["lang"]).flatMap(SupportedLocale.init(rawValue:)) {
            language = asked
            languageFromQuery = true
        } else if let saved = request.cookies["lang"].flatMap({ SupportedLocale(rawValue: $0.value) }) {
            language = saved
        }
        var zone = calendarZone
        var zoneFromQuery = false, zoneIsTheVisitors = true
        if let asked = (query.get("tz") ?? form["tz"]).flatMap(TimeZone.init(identifier:)) {
            zone = asked
            zoneFromQuery = true
        } else if let saved = request.cookies["tz"].flatMap({ $0.value.removingPercentEncoding }).flatMap(TimeZone.init(identifier:)) {
            zone = saved
        } else {
            zoneIsTheVisitors = false
        }
        let existing = request.cookies["bk_session"]?.value
        let session = existing.flatMap { $0.count == 32 && $0.allSatisfy(\.isHexDigit) ? $0 : nil } ?? Self.randomHex(16)
        var here = request.uri.path
        // The funnel's visit is the page's to add (`Pages.visitToken`), once and checked.
        let kept = request.uri.queryParameters.filter { $0.key != "lang" && $0.key != "visit" }
        if !kept.isEmpty { here += "?" + kept.map { "\($0.key)=\(String($0.value).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&") }
        return Visitor(
            language: language, zone: zone, session: session, newSession: existing != session, zoneFromQuery: zoneFromQuery,
            zoneIsTheVisitors: zoneIsTheVisitors, languageFromQuery: languageFromQuery, address: clientAddress(request, context),
            pages: Pages(language: language, time: VisitorTime(zone: zone, language: language), here: here, branding: configuration.branding)
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
            let configuration = configuration
            if !configuration.branding.embedOrigins.isEmpty && configuration.publicURL.hasPrefix("https://") {
                // In a frame on another site a Lax cookie is never sent, and every form would
                // "expire": the session cookie goes to the frame, kept apart per embedding site
                // (CHIPS), which only a secure cookie may be.
                let cookie = Cookie(name: "bk_session", value: visitor.session, path: "/", secure: true, httpOnly: true, sameSite: .none)
                response.headers[values: .setCookie].append(cookie.description + "; Partitioned")
            } else {
                response.setCookie(Cookie(name: "bk_session", value: visitor.session, path: "/", httpOnly: true, sameSite: .lax))
            }
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

    func readyz() async -> Response {
        let states = await services.readiness()
        let ready = states.allSatisfy(\.ready)
        let lines = states.map { "\($0.service): \($0.ready ? "ready" : "not ready") (\($0.detail))" }.joined(separator: "\n")
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

    func logo(_ request: Request) -> Response {
        guard let logo = configuration.branding.logo else { return text(.notFound, "no logo is configured (web.logo_file)\n") }
        if request.headers[.ifNoneMatch] == logo.etag { return Response(status: .notModified, headers: [.eTag: logo.etag]) }
        return Response(status: .ok, headers: [.contentType: logo.contentType, .eTag: logo.etag, .cacheControl: "public, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: logo.bytes)))
    }

    /// `/embed.js`, or a 404 that says how to allow embedding.
    func embedScript(_ request: Request) -> Response {
        guard !configuration.branding.embedOrigins.isEmpty else {
            return text(.notFound, "embedding is off: list the sites in web.embed.allowed_origins\n")
        }
        let asset = Asset.embedJS
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified, headers: [.eTag: asset.etag]) }
        // Any site may load the script; only the listed ones may frame the page it opens.
        return Response(status: .ok, headers: [.contentType: asset.contentType, .eTag: asset.etag, .cacheControl: "public, max-age=3600",
                                               .accessControlAllowOrigin: "*", HTTPField.Name("Cross-Origin-Resource-Policy")!: "cross-origin"],
                        body: .init(byteBuffer: ByteBuffer(string: asset.body)))
    }

    // MARK: Limits

    /// Takes a token from the client's bucket (an IPv6 client's is its /64's).
    func limitAddress(_ address: String) -> RateLimiter.Decision {
        state.withLockedValue { $0.ipLimiter }.take(ClientAddress.limitKey(address), now: clock.now())
    }

    /// A query of free slots (the API's, the page's calendar and form) takes a token from the
    /// client's slot bucket, whatever it asks: a query that misses the cache costs availabilityd
    /// a computation, so varying it must not buy more of them.
    func limitSlotQuery(_ address: String) throws(Problem) {
        if case .limited(let seconds) = state.withLockedValue({ $0.slotLimiter }).take(ClientAddress.limitKey(address), now: clock.now()) {
            throw Problem(status: 429, code: "rate_limited", detail: "too many slot queries from \(address); retry in \(seconds) s", retryAfter: seconds)
        }
    }

    /// Email and phone buckets: both are checked before either is charged, so one refused
    /// request does not use up the other's allowance.
    func limitContact(email: String, phone: String) -> RateLimiter.Decision {
        let (emailLimiter, phoneLimiter) = state.withLockedValue { ($0.emailLimiter, $0.phoneLimiter) }
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
        guard let limiter = state.withLockedValue({ $0.noScriptLimiter }) else { return false }
        return limiter.take("no-script", now: clock.now()) == .allowed
    }

    var policyTexts: [SupportedLocale: String] { state.withLockedValue { $0.policyTexts } }

    func policyLink(_ language: SupportedLocale) -> String {
        configuration.policyURL ?? "/policy?lang=\(language.rawValue)"
    }

    func noticeVersion(_ language: SupportedLocale) -> String {
        state.withLockedValue { $0.noticeVersions[language] } ?? "/policy"
    }

    // MARK: Shared by the page and the API

    /// A new booking's checks after the request is read: the email and phone rate limits, then
    /// bookingd, which also holds the limit of future bookings per contact (in the transaction
    /// that writes the appointment). Throws `Problem` for webd's own refusals and the core's
    /// errors as they come.
    /// `topic` as `ConsultationTopic` validated it; it is personal data, so never logged.
    /// `address` is the client's, as `clientAddress` resolved it; only its masked form leaves webd,
    /// in the consent record, with the notice the client was shown in `locale`.
    /// `visit`: the page's visit, counted `sent` here, past the last of webd's defences, and
    /// `booked` once bookingd gave a reference; `source`: where that visit (or the API's
    /// client) says the lead came from.
    func book(start: Date, contact: ContactInfo, topic: String?, timeZone: String, locale: String, marketing: Bool, address: String,
              idempotencyKey: String, visit: Visit? = nil, source: LeadSourceBody? = nil) async throws -> AppointmentBody {
        if case .limited(let seconds) = limitContact(email: contact.email, phone: contact.phone) {
            throw Problem(status: 429, code: "rate_limited", detail: "too many booking attempts for this email or phone; retry in \(seconds) s", retryAfter: seconds)
        }
        if let visit { funnel.reached([.sent], visit: visit) }
        let consent = ConsentBody(notice: noticeVersion(SupportedLocale(rawValue: locale) ?? .fallback), at: clock.now(),
                                  address: IPAddress(address)?.masked, marketing: marketing)
        let request = BookRequest(
            start: start, contact: ContactBody(name: contact.name, email: contact.email, phone: contact.phone, company: contact.company),
            timeZone: timeZone, locale: locale, topic: topic, consent: consent, source: source
        )
        let appointment = try await services.book(request, idempotencyKey: idempotencyKey)
        if let visit { funnel.reached([.booked], visit: visit, reference: appointment.reference) }
        Counter(label: "webd_bookings_total").increment()
        logger.info("booked through the web", metadata: [
            "reference": "\(BookingReference.masked(appointment.reference))", "start": "\(ISO8601.instant(appointment.start))", "contact": "\(contact.masked)",
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
        try limitSlotQuery(visitor.address)
        let now = clock.now()
        let today = LocalDate.containing(now, in: visitor.zone)
        let reply = try await services.slots(SlotsRequest(from: today.description, days: 14, timeZone: visitor.zone.identifier))
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

/// Headers on every response (errors too: `ErrorResponseMiddleware` runs inside this one): a
/// strict CSP (scripts only from this origin, never inline), no referrer (a manage link is a
/// secret), no sniffing, no framing but by the sites in `web.embed.allowed_origins`. Also the
/// one place requests are logged, with any reference in the path masked.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let logger: Logger
    /// Read per response, so a reload changes who may embed the page at once.
    let embedOrigins: @Sendable () -> [String]

    static func contentSecurityPolicy(embedOrigins: [String]) -> String {
        let ancestors = embedOrigins.isEmpty ? "'none'" : embedOrigins.joined(separator: " ")
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors \(ancestors)"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let origins = embedOrigins()
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy(embedOrigins: origins)
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.xContentTypeOptions] = "nosniff"
        // X-Frame-Options cannot name sites: with embedding on, frame-ancestors alone decides.
        if origins.isEmpty { response.headers[.xFrameOptions] = "DENY" }
        response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=()"
        Counter(label: "webd_http_responses_total", dimensions: [("class", "\(response.status.code / 100)xx")]).increment()
        logger.debug("http", metadata: ["method": "\(request.method)", "path": "\(Self.maskedPath(request.uri.path))", "status": "\(response.status.code)"])
        return response
    }

    /// `/manage/BK-7Q2M-****-****-****G/cancel`, `/feeds/****`: the path as a log may show it.
    static func maskedPath(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.indices.map { index in
            let part = parts[index]
            // A feed's token is the secret of its address: none of it is logged.
            if index > 0, parts[index - 1] == "feeds" { return "****" }
            return part.uppercased().hasPrefix("BK") && part.count > 6 ? BookingReference.masked(String(part)) : String(part)
        }.joined(separator: "/")
    }
}

/// The edge where whatever a route throws becomes the answer, mapped once (`Problem.mapping`):
/// problem+json under `/api/`, a page elsewhere. An error nothing maps is `internal` (500) and
/// logged as an error, never passed off as another code.
struct ErrorResponseMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let logger: Logger
    let branding: @Sendable () -> Branding

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, path: request.uri.path, logger: logger)
            if problem.code == "not_found_route", let methods = OpenAPIDocument.methods(at: request.uri.path) {
                problem = .methodNotAllowed(methods)
            }
            if request.uri.path.hasPrefix("/api/") { return problem.response }
            let language = SupportedLocale.preferred(acceptLanguage: request.headers[.acceptLanguage])
            let pages = Pages(language: language, time: VisitorTime(zone: VisitorTime.moscow, language: language), here: "/", branding: branding())
            return Self.page(problem, language: language, pages: pages)
        }
    }

    /// The problem an error is, logged when webd (or the core) is at fault.
    static func problem(for error: any Error, path: String, logger: Logger) -> Problem {
        let metadata: Logger.Metadata = ["path": "\(SecurityHeadersMiddleware.maskedPath(path))", "error": "\(error)"]
        guard let problem = Problem.mapping(error) else {
            logger.error("a request failed with an error nothing maps; answered 500 internal", metadata: metadata)
            return .internalError
        }
        if problem.status.code >= 500 { logger.warning("a request could not be served", metadata: metadata) }
        return problem
    }

    /// A problem as a page: the visitor is told what they can do about it, nothing else leaks.
    static func page(_ problem: Problem, language: SupportedLocale, pages: Pages) -> Response {
        let message = switch problem.status {
        case .notFound: language.text(.notFoundPage)
        case .serviceUnavailable, .gatewayTimeout: language.text(.serviceUnavailable)
        case .tooManyRequests: language.text(.rateLimited(problem.retryAfter ?? 60))
        default: language.text(.somethingWrong)
        }
        let title = problem.status == .notFound ? "404" : language.text(.title)
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        if let retryAfter = problem.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: pages.messagePage(title: title, message: message))))
    }
}
