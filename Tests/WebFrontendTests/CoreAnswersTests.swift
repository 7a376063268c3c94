import BookingDomain
import BookingProtocol
import Crypto
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import ZeroMQ
@testable import WebFrontend

/// How the site answers what the booking core says, over real ZeroMQ sockets (inproc) and the
/// real `DaemonBookingServices`: request servers named bookingd and availabilityd give the
/// answers under test, so each mapping is seen end to end without a daemon process.
@Suite(.serialized) struct CoreAnswersTests {
    static let start = WireJSON.parseInstant("2026-12-02T08:00:00.000Z")!
    static let limitMessage = "this email address already has 2 upcoming bookings; reschedule or cancel one of them first"

    /// bookingd refuses every booking with `contact_limit_reached`; availabilityd offers one slot
    /// at `start`. `services` replaces them for what no core answers.
    static func withSite(services replacement: (any BookingServices)? = nil, _ body: @Sendable (BookingWebsite, any TestClientProtocol, LogRecorder) async throws -> Void) async throws {
        var bookingRoutes = RequestRoutes()
        bookingRoutes.on(MessageType.book, BookRequest.self) { _, _ -> AppointmentBody in
            throw ProtocolError(.contactLimitReached, limitMessage, field: "contact.email")
        }
        var availabilityRoutes = RequestRoutes()
        availabilityRoutes.on(MessageType.slots, SlotsRequest.self) { request, _ in
            let zone = TimeZone(identifier: request.timeZone ?? "Europe/Moscow")!
            let end = start.addingTimeInterval(1800)
            return SlotsReply(timeZone: zone.identifier, slots: [
                SlotBody(start: start, end: end, localStart: WireJSON.formatLocal(start, in: zone), localEnd: WireJSON.formatLocal(end, in: zone), free: 1),
            ])
        }
        let context = try ZMQContext()
        let quiet = Logger(label: "core")
        var running: [Task<Void, any Error>] = []
        var clients: [DaemonClient] = []
        for (name, routes) in [("bookingd", bookingRoutes), ("availabilityd", availabilityRoutes)] {
            let endpoint = "inproc://\(name)-\(UUID().uuidString)"
            let server = try RequestServer(name: name, endpoint: endpoint, context: context, routes: routes, maxMessageBytes: 65536, logger: quiet)
            try await server.bind()
            running.append(Task { try await server.run() })
            clients.append(try await DaemonClient(daemon: name, endpoint: endpoint, context: context, timeout: .seconds(5), attempts: 1))
        }
        let recorder = LogRecorder()
        var configuration = WebConfiguration(stateDirectory: "/tmp")
        configuration.minFillSeconds = 0
        configuration.proofOfWorkDifficulty = 1
        let site = try BookingWebsite(
            configuration: configuration, key: SymmetricKey(size: .bits256),
            services: replacement ?? DaemonBookingServices(bookingd: clients[0], availabilityd: clients[1]), calendarZone: VisitorTime.moscow, clock: .system,
            logger: Logger(label: "webd-test") { _ in RecordingLogHandler(recorder: recorder) }
        )
        do {
            try await Application(router: site.router()).test(.router) { client in try await body(site, client, recorder) }
        } catch {
            for task in running { task.cancel() }
            await context.shutdown()
            throw error
        }
        for client in clients { await client.close() }
        for task in running { task.cancel() }
        await context.shutdown()
    }

    static let session = "0123456789abcdef0123456789abcdef"

    /// The booking form as a browser without JavaScript sends it, with a valid token.
    static func postForm(_ site: BookingWebsite, _ client: any TestClientProtocol, lang: String, name: String = "Jane Doe",
                         email: String = "jane@example.com", phone: String = "212 555 0100", company: String = "") async throws -> (HTTPResponse.Status, String) {
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        let token = site.formTokens.issue(session: session, now: Date())
        let fields = "form_token=\(encoded(token))&lang=\(lang)&tz=Europe%2FMoscow&start=\(encoded(WireJSON.formatInstant(start)))&name=\(encoded(name))"
            + "&email=\(encoded(email))&country=%2B1&phone=\(encoded(phone))&company=\(encoded(company))&consent=yes"
        return try await client.execute(uri: "/book", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "bk_session=\(session)"],
                                        body: ByteBuffer(string: fields)) { ($0.status, String(buffer: $0.body)) }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func theCoresContactLimitIsAConflictProblemInTheAPI() async throws {
        try await Self.withSite { site, client, _ in
            let challenge = site.proofOfWork.challenge(now: Date())
            let solution = try #require(ProofOfWork.solve(challenge))
            let body: [String: Any] = [
                "start": WireJSON.formatInstant(Self.start), "consent": true, "locale": "en",
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

    @Test(arguments: [SupportedLocale.ru, .en])
    func thePageShowsEachBadFieldsOwnErrorInTheVisitorsLanguage(language: SupportedLocale) async throws {
        try await Self.withSite { site, client, _ in
            let (status, page) = try await Self.postForm(site, client, lang: language.rawValue, name: " ", email: "jane@", phone: "+1 212",
                                                         company: String(repeating: "x", count: 201))
            #expect(status == .unprocessableContent)
            let expected: [(ContactField, ValidationError.Kind)] = [(.name, .empty), (.email, .malformed), (.phone, .malformed), (.company, .tooLong(maximum: 200))]
            for (field, kind) in expected {
                let text = escapeHTML(language.text(.invalidContact(field, kind)))
                #expect(page.contains("<p class=\"error\" id=\"\(field.rawValue)-error\">\(text)</p>"), "\(field)")
            }
            #expect(!page.contains("must not be empty") && !page.contains("must have"), "the domain's English messages are not the page's")
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

    private let stored = Mutex<[Entry]>([])
    var entries: [Entry] { stored.withLock { $0 } }
    func append(_ entry: Entry) { stored.withLock { $0.append(entry) } }
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
