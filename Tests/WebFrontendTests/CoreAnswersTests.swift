import BookingDomain
import BookingProtocol
import CivilTime
import Crypto
import DaemonKit
import Foundation
import HTMLEscaping
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SuiteTesting
import Testing
@testable import WebFrontend

/// How the site answers what the booking core says: the site over the real
/// `DaemonBookingServices`, in front of bookingd's and availabilityd's libraries running in
/// this process (real ipc sockets and SQLite files), so each mapping is seen end to end.
@Suite(.serialized) struct CoreAnswersTests {
    static let start = ISO8601.parseInstant("2026-12-02T08:00:00.000Z")!
    static let limitMessage = "this email address already has 2 upcoming bookings; reschedule or cancel one of them first"

    /// jane@example.com already holds the two future bookings a client may have, so the core
    /// refuses her a third. `services` replaces the core for what no core answers.
    /// `extra`: more top-level YAML for the suite (e.g. a `meeting:` section).
    static func withSite(services replacement: (any BookingServices)? = nil, pausedFor pauseReason: String? = nil, extra: String = "",
                         _ body: @Sendable (BookingWebsite, any TestClientProtocol, LogRecorder) async throws -> Void) async throws {
        try await withSuiteAndSite(services: replacement, pausedFor: pauseReason, extra: extra) { site, client, recorder, _ in
            try await body(site, client, recorder)
        }
    }

    /// `withSite`, with the suite's bookingd for what only the core knows; `bookings`: the suite's `bookings:` section.
    /// `wrapping`: services put in front of the core's (to watch what the site asks);
    /// `configure`: changes to the site's configuration.
    static func withSuiteAndSite(services replacement: (any BookingServices)? = nil, pausedFor pauseReason: String? = nil, extra: String = "",
                                 bookings: String = "{max_future_bookings_per_contact: 2}",
                                 wrapping: @Sendable (any BookingServices) -> any BookingServices = { $0 },
                                 configure: @Sendable (inout WebConfiguration) -> Void = { _ in },
                                 _ body: @Sendable (BookingWebsite, any TestClientProtocol, LogRecorder, DaemonClient) async throws -> Void) async throws {
        var options = InProcessSuite.Options()
        options.extra = "bookings: \(bookings)\n" + extra
        let suite = try await InProcessSuite.start(options)
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(5))
        let availabilityd = try await suite.client(.availabilityd, timeout: .seconds(5))
        // Not run here: the manage page's data requests are tested where it is (DataRequestMailTests).
        let notifyd = try await suite.client(.notifyd, timeout: .seconds(5))
        for hour in ["10:00", "10:30"] {
            let earlier = ISO8601.parseInstant("2026-12-03T\(hour):00+03:00")!
            let _: AppointmentBody = try await bookingd.call(
                MessageType.book, BookRequest(start: earlier, contact: ContactBody(name: "Jane Doe", email: "jane@example.com", phone: "+12125550199")))
        }
        if let pauseReason {
            let _: PauseReply = try await bookingd.call(MessageType.pause, PauseRequest(reason: pauseReason))
        }
        let recorder = LogRecorder()
        var configuration = WebConfiguration(stateDirectory: suite.directory)
        configuration.minFillSeconds = 0
        configuration.proofOfWorkDifficulty = 1
        configure(&configuration)
        let site = try BookingWebsite(
            configuration: configuration, key: SymmetricKey(size: .bits256),
            services: replacement ?? wrapping(DaemonBookingServices(bookingd: bookingd, availabilityd: availabilityd, notifyd: notifyd)),
            calendarZone: VisitorTime.moscow,
            clock: SuiteClock(configuration: suite.configuration),
            logger: Logger(label: "webd-test") { _ in RecordingLogHandler(recorder: recorder) }
        )
        do {
            // `.live`, not `.router`, which leaks a channel per request (see WebsiteHTTPTests.withSite).
            let app = Application(router: site.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await app.test(.live) { client in try await body(site, client, recorder, bookingd) }
        } catch {
            try await suite.stop()
            throw error
        }
        try await suite.stop()
    }

    /// The in-process suite's clock (it starts where `InProcessSuite.Options.clockStart` says).
    static func suiteNow() -> Date { SuiteClock(start: ISO8601.parseInstant(InProcessSuite.Options().clockStart)!).now() }

    static let session = "0123456789abcdef0123456789abcdef"

    /// The booking form as a browser without JavaScript sends it, with a valid token: the
    /// status and the page, or for a redirect its location.
    static func postForm(_ site: BookingWebsite, _ client: any TestClientProtocol, lang: String, name: String = "Jane Doe",
                         email: String = "jane@example.com", country: String = "US", phone: String = "212 555 0100", company: String = "",
                         topic: String = "") async throws -> (HTTPResponse.Status, String) {
        let response = try await sendForm(site, client, lang: lang, name: name, email: email, country: country, phone: phone, company: company, topic: topic)
        return (response.status, response.headers[.location] ?? String(buffer: response.body))
    }

    static func sendForm(_ site: BookingWebsite, _ client: any TestClientProtocol, lang: String, name: String = "Jane Doe",
                         email: String = "jane@example.com", country: String = "US", phone: String = "212 555 0100", company: String = "",
                         topic: String = "") async throws -> TestResponse {
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        let token = site.formTokens.issue(session: session, now: Self.suiteNow())
        let fields = "form_token=\(encoded(token))&lang=\(lang)&tz=Europe%2FMoscow&start=\(encoded(ISO8601.instant(start)))&name=\(encoded(name))"
            + "&email=\(encoded(email))&country=\(country)&phone=\(encoded(phone))&company=\(encoded(company))&topic=\(encoded(topic))&consent=yes"
        return try await client.execute(uri: "/book", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "bk_session=\(session)"],
                                        body: ByteBuffer(string: fields))
    }

    /// A form post with the session's cookie: the status, the `Location` and the page.
    static func post(_ client: any TestClientProtocol, _ uri: String, _ fields: [String: String]) async throws -> (HTTPResponse.Status, String?, String) {
        let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await client.execute(uri: uri, method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "bk_session=\(session)"],
                                        body: ByteBuffer(string: body)) { ($0.status, $0.headers[.location], String(buffer: $0.body)) }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func theCoresContactLimitIsAConflictProblemInTheAPI() async throws {
        try await Self.withSite { site, client, _ in
            let challenge = site.proofOfWork.challenge(now: Self.suiteNow())
            let solution = try #require(ProofOfWork.solve(challenge))
            let body: [String: Any] = [
                "start": ISO8601.instant(Self.start), "consent": true, "locale": "en",
                "contact": ["name": "Jane Doe", "email": "jane@example.com", "phone": "+12125550100"],
                "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
            ]
            let (status, type, text) = try await client.execute(
                uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            ) { ($0.status, $0.headers[.contentType], String(buffer: $0.body)) }
            #expect(status == .conflict, "\(text)")
            #expect(type == "application/problem+json")
            let problem = Self.json(text)
            #expect(problem["code"] as? String == "contact_limit_reached")
            #expect(problem["field"] as? String == "contact.email")
            #expect(problem["detail"] as? String == Self.limitMessage)
            #expect(problem["title"] as? String == "Too many upcoming bookings")
        }
    }

    @Test(arguments: [SupportedLocale.ru, .en])
    func theCoresContactLimitIsAFriendlyMessageOnThePage(language: SupportedLocale) async throws {
        try await Self.withSite { site, client, _ in
            let (status, page) = try await Self.postForm(site, client, lang: language.rawValue)
            #expect(status == .conflict)
            let message = escapeHTML(language.text(.contactLimitReached(.email)))
            #expect(page.contains("<p class=\"alert\" role=\"alert\">\(message)</p>"), "\(page)")
            #expect(page.contains("id=\"email-error\""), "the message is beside the email field too")
            #expect(!page.contains(Self.limitMessage), "the core's English words stay off the page")
            #expect(!language.text(.contactLimitReached(.email)).contains { $0.isNumber }, "webd does not know the limit")
            #expect(page.contains("value=\"jane@example.com\""), "what was typed is kept")
        }
    }

    /// A core that fails with an error webd has no mapping for (a bug somewhere).
    struct BrokenServices: BookingServices {
        struct Unforeseen: Error {}
        func slots(_ request: SlotsRequest) async throws -> SlotsReply { throw Unforeseen() }
        func slotsJSON(_ request: SlotsRequest) async throws -> [UInt8] { throw Unforeseen() }
        func book(_ request: BookRequest, idempotencyKey: String) async throws -> AppointmentBody { throw Unforeseen() }
        func appointment(_ reference: String) async throws -> AppointmentBody { throw Unforeseen() }
        func reschedule(_ request: RescheduleRequest, idempotencyKey: String?) async throws -> AppointmentBody { throw Unforeseen() }
        func cancel(_ request: CancelRequest, idempotencyKey: String?) async throws -> AppointmentBody { throw Unforeseen() }
        func readiness() async -> [ServiceReadiness] { [] }
        func bookingPause() async throws -> BookingPause? { throw Unforeseen() }
        func confirm(_ request: ConfirmRequest) async throws -> AppointmentBody { throw Unforeseen() }
        func holdsBookings() async throws -> Bool { throw Unforeseen() }
        func sendDataLink(_ request: DataLinkRequest) async throws -> SentDataLinkReply { throw Unforeseen() }
        func clientExport(_ request: ClientDataRequest) async throws -> [UInt8] { throw Unforeseen() }
        func clientErase(_ request: ClientDataRequest) async throws -> ErasureBody { throw Unforeseen() }
        func feed(token: String, detail: FeedDetail) async throws -> FeedBookings { throw Unforeseen() }
        func recordVisitStep(_ request: VisitStepRequest) async throws { throw Unforeseen() }
        func markOutcome(_ request: MarkOutcomeRequest) async throws -> AppointmentBody { throw Unforeseen() }
        func consultant(_ id: String) async throws -> ConsultantBody? { throw Unforeseen() }
    }

    @Test func anErrorNothingMapsIsAnInternalProblemAndLogged() async throws {
        try await Self.withSite(services: BrokenServices()) { _, client, recorder in
            let reference = BookingReference.random()
            let (status, type, text) = try await client.execute(uri: "/api/v1/bookings/\(reference)", method: .get) {
                ($0.status, $0.headers[.contentType], String(buffer: $0.body))
            }
            #expect(status == .internalServerError)
            #expect(type == "application/problem+json")
            #expect(Self.json(text)["code"] as? String == "internal")
            #expect(!text.contains("Unforeseen"), "internals stay in the log")
            let logged = recorder.entries.filter { $0.level == .error && $0.message.contains("nothing maps") }
            #expect(logged.count == 1)
            #expect(logged.first?.metadata["error"].map { "\($0)" }?.contains("Unforeseen") == true)
            #expect(logged.first?.metadata["path"].map { "\($0)" } == "/api/v1/bookings/\(reference.masked)")

            let page = try await client.execute(uri: "/manage/\(reference)?lang=en", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(page.0 == .internalServerError)
            #expect(page.1.contains(SupportedLocale.en.text(.somethingWrong)))
            #expect(recorder.entries.filter { $0.level == .error && $0.message.contains("nothing maps") }.count == 2)
        }
    }

    /// A core whose dependency is away: bookingd's answer names availabilityd's socket.
    struct AwayServices: BookingServices {
        static let error = ProtocolError(.unavailable, "availabilityd did not answer within 1789 ms at ipc:///run/booking/availabilityd.ipc (1 attempt, bounded by the request's deadline)")
        func slots(_ request: SlotsRequest) async throws -> SlotsReply { throw Self.error }
        func slotsJSON(_ request: SlotsRequest) async throws -> [UInt8] { throw Self.error }
        func book(_ request: BookRequest, idempotencyKey: String) async throws -> AppointmentBody { throw Self.error }
        func appointment(_ reference: String) async throws -> AppointmentBody { throw ProtocolError(.deadlineExceeded, "the request's deadline passed at ipc:///run/booking/bookingd.ipc") }
        func reschedule(_ request: RescheduleRequest, idempotencyKey: String?) async throws -> AppointmentBody { throw Self.error }
        func cancel(_ request: CancelRequest, idempotencyKey: String?) async throws -> AppointmentBody { throw Self.error }
        func readiness() async -> [ServiceReadiness] { [] }
        func bookingPause() async throws -> BookingPause? { nil }
        func confirm(_ request: ConfirmRequest) async throws -> AppointmentBody { throw Self.error }
        func holdsBookings() async throws -> Bool { false }
        func sendDataLink(_ request: DataLinkRequest) async throws -> SentDataLinkReply { throw Self.error }
        func clientExport(_ request: ClientDataRequest) async throws -> [UInt8] { throw Self.error }
        func clientErase(_ request: ClientDataRequest) async throws -> ErasureBody { throw Self.error }
        func feed(token: String, detail: FeedDetail) async throws -> FeedBookings { throw Self.error }
        func recordVisitStep(_ request: VisitStepRequest) async throws { throw Self.error }
        func markOutcome(_ request: MarkOutcomeRequest) async throws -> AppointmentBody { throw Self.error }
        func consultant(_ id: String) async throws -> ConsultantBody? { throw Self.error }
    }

    @Test func aServerSideAnswerKeepsTheSuitesInsideInTheLog() async throws {
        try await Self.withSite(services: AwayServices()) { _, client, recorder in
            let (status, retryAfter, text) = try await client.execute(uri: "/api/v1/slots?days=3", method: .get) {
                ($0.status, $0.headers[.retryAfter], String(buffer: $0.body))
            }
            #expect(status == .serviceUnavailable)
            #expect(retryAfter == String(Problem.unavailableRetrySeconds))
            #expect(Self.json(text)["code"] as? String == "unavailable")
            #expect(Self.json(text)["detail"] as? String == "the booking service is temporarily unavailable; retry shortly")
            let reference = BookingReference.random()
            let (late, lateText) = try await client.execute(uri: "/api/v1/bookings/\(reference)", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(late == .gatewayTimeout)
            #expect(Self.json(lateText)["code"] as? String == "deadline_exceeded")
            for answer in [text, lateText] {
                #expect(!answer.contains("ipc://") && !answer.contains("availabilityd"), "\(answer)")
            }
            let logged = recorder.entries.filter { $0.level == .warning }.compactMap { $0.metadata["error"].map { "\($0)" } }
            #expect(logged.contains { $0.contains("ipc:///run/booking/availabilityd.ipc") }, "the operator sees what was away: \(logged)")
        }
    }

    @Test(arguments: [SupportedLocale.ru, .en])
    func thePageShowsEachBadFieldsOwnErrorInTheVisitorsLanguage(language: SupportedLocale) async throws {
        try await Self.withSite { site, client, _ in
            let (status, page) = try await Self.postForm(site, client, lang: language.rawValue, name: " ", email: "jane@", phone: "+1 212",
                                                         company: String(repeating: "x", count: 201))
            #expect(status == .unprocessableContent)
            let phoneKind = try #require(throws: ValidationError.self) { try ContactInfo.validatedPhone("+1 212", region: "US") }.kind
            let expected: [(ContactField, ValidationError.Kind)] = [(.name, .empty), (.email, .malformed), (.phone, phoneKind), (.company, .tooLong(maximum: 200))]
            for (field, kind) in expected {
                let text = escapeHTML(language.text(.invalidContact(field, kind)))
                #expect(page.contains("<p class=\"error\" id=\"\(field.rawValue)-error\">\(text)</p>"), "\(field)")
            }
            #expect(!page.contains("must not be empty") && !page.contains("phone number is"), "the domain's English messages are not the page's")
        }
    }

    @Test func aPauseIsOnThePageAndABookingItRefusesKeepsWhatWasTyped() async throws {
        try await Self.withSite(pausedFor: "office move") { site, client, _ in
            let page = try await client.execute(uri: "/?lang=en", method: .get) { String(buffer: $0.body) }
            #expect(page.contains("id=\"pause-notice\">Booking is paused for now: office move."), "\(page)")
            let form = try await client.execute(uri: "/book?lang=en&start=\(ISO8601.instant(Self.start))", method: .get) { String(buffer: $0.body) }
            #expect(form.contains("id=\"pause-notice\""), "on the form too, before anything is typed")

            let (status, refused) = try await Self.postForm(site, client, lang: "en", name: "Jane Roe", email: "roe@example.com", company: "Roe & Co")
            #expect(status == .serviceUnavailable)
            #expect(refused.contains(escapeHTML(SupportedLocale.en.text(.pausedFormKept("office move")))), "\(refused)")
            for kept in ["value=\"Jane Roe\"", "value=\"roe@example.com\"", "value=\"212 555 0100\"", "value=\"Roe &amp; Co\"", "name=\"consent\" value=\"yes\" checked"] {
                #expect(refused.contains(kept), "\(kept)")
            }
        }
    }

    @Test func cancellingAndReschedulingChangeNothingUntilConfirmed() async throws {
        try await Self.withSite { site, client, _ in
            let (booked, location, _) = try await Self.post(client, "/book", [
                "form_token": site.formTokens.issue(session: Self.session, now: Self.suiteNow()), "lang": "en", "tz": "Europe/Moscow",
                "start": ISO8601.instant(Self.start), "name": "Ann Lee", "email": "ann@example.com", "country": "US", "phone": "212 555 0111", "consent": "yes",
            ])
            #expect(booked == .seeOther)
            let reference = try #require(location?.split(separator: "/").last?.split(separator: "?").first.map(String.init))
            let confirmation = try await client.execute(uri: "/manage/\(reference)?done=booked&lang=en", method: .get) { String(buffer: $0.body) }
            #expect(confirmation.contains("We sent the confirmation to <strong>a***@example.com</strong>"))
            #expect(confirmation.contains("https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text="))
            func status() async throws -> (String, Date) {
                let body = try await client.execute(uri: "/api/v1/bookings/\(reference)", method: .get) { String(buffer: $0.body) }
                let json = Self.json(body)
                return (json["status"] as? String ?? "", ISO8601.parseInstant(json["start"] as? String ?? "") ?? .distantPast)
            }
            func token() -> String { site.formTokens.issue(session: Self.session, now: Self.suiteNow()) }

            // Rescheduling: the question first, with both times; nothing moves until "yes".
            let later = try #require(ISO8601.parseInstant("2026-12-02T09:00:00.000Z"))
            let (asked, _, question) = try await Self.post(client, "/manage/\(reference)/reschedule?lang=en", [
                "form_token": token(), "tz": "Europe/Moscow", "start": ISO8601.instant(later),
            ])
            #expect(asked == .ok)
            #expect(question.contains("Move the booking to this time?") && question.contains("id=\"new-time\"") && question.contains("12:00–12:30"), "\(question)")
            #expect(try await status() == ("confirmed", Self.start))
            let (moved, movedTo, _) = try await Self.post(client, "/manage/\(reference)/reschedule", [
                "form_token": token(), "tz": "Europe/Moscow", "start": ISO8601.instant(later), "confirm": "yes",
            ])
            #expect(moved == .seeOther && movedTo == "/manage/\(reference)?done=rescheduled")
            #expect(try await status() == ("confirmed", later))

            // Cancelling: the same.
            let (cancelAsked, _, cancelQuestion) = try await Self.post(client, "/manage/\(reference)/cancel?lang=en", [
                "form_token": token(), "tz": "Europe/Moscow", "reason": "Plans changed",
            ])
            #expect(cancelAsked == .ok)
            #expect(cancelQuestion.contains("Cancel this booking?") && cancelQuestion.contains("name=\"reason\" value=\"Plans changed\""))
            #expect(try await status().0 == "confirmed")
            let (cancelled, cancelledTo, _) = try await Self.post(client, "/manage/\(reference)/cancel", [
                "form_token": token(), "tz": "Europe/Moscow", "reason": "Plans changed", "confirm": "yes",
            ])
            #expect(cancelled == .seeOther && cancelledTo == "/manage/\(reference)?done=cancelled")
            #expect(try await status().0 == "cancelled")
        }
    }
}

/// Every log entry a test's site writes.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let stored = NIOLockedValueBox<[Entry]>([])
    var entries: [Entry] { stored.withLockedValue { $0 } }
    func append(_ entry: Entry) { stored.withLockedValue { $0.append(entry) } }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append(.init(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
