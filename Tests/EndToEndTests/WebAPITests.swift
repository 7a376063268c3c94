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
import SuiteCalendar
import Testing
import WebFrontend

/// webd's routes over HTTP (HummingbirdTesting's router) in front of the real bookingd and
/// availabilityd processes: every route and error of the API, the form posts, and a scripted
/// client that ignores the proof of work and the rate limits.
@Suite(.serialized) struct WebAPITests {
    /// A suite with one consultant and webd's site in-process, configured by `web`.
    static func withSite(consultants: [String] = ["solo"], web: String = "", _ body: @Sendable (SuiteProcess, any TestClientProtocol) async throws -> Void) async throws {
        var options = SuiteProcess.Options()
        options.consultants = consultants
        options.extra = "web:\n  min_fill_seconds: 0\n  proof_of_work: {difficulty: 200}\n" + web
        let suite = try SuiteProcess(options)
        defer { suite.tearDown() }
        try await suite.start()
        let configuration = try suite.configuration()
        let webConfiguration = try WebConfiguration.load(from: configuration)
        let bookingd = try await DaemonClient(daemon: "bookingd", endpoint: suite.bookingdEndpoint, context: suite.context, timeout: .seconds(5), attempts: 1)
        let availabilityd = try await DaemonClient(daemon: "availabilityd", endpoint: suite.availabilitydEndpoint, context: suite.context, timeout: .seconds(5), attempts: 1)
        let notifyd = try await DaemonClient(daemon: "notifyd", endpoint: suite.notifydEndpoint, context: suite.context, timeout: .seconds(5), attempts: 1)
        let site = try BookingWebsite(
            configuration: webConfiguration, key: SymmetricKey(size: .bits256),
            services: DaemonBookingServices(bookingd: bookingd, availabilityd: availabilityd, notifyd: notifyd), calendarZone: try CalendarSettings.businessZone(configuration),
            clock: SuiteClock(configuration: configuration), logger: Logger(label: "webd-test")
        )
        try await Application(router: site.router()).test(.router) { client in try await body(suite, client) }
        await bookingd.close()
        await availabilityd.close()
        await notifyd.close()
    }

    struct Answer {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:] }
    }

    static func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, json: Any? = nil, headers: HTTPFields = [:]) async throws -> Answer {
        var headers = headers
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Answer(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
    }

    /// A challenge from the server, solved as the page's script would.
    static func solvedChallenge(_ client: any TestClientProtocol) async throws -> [String: Any] {
        let challenge = try await call(client, .get, "/api/v1/challenge")
        #expect(challenge.status == .ok)
        let decoded = try WireJSON.decode(ProofOfWorkChallenge.self, from: Array(challenge.body.utf8))
        let solution = try #require(ProofOfWork.solve(decoded))
        return ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number]
    }

    static func bookingBody(_ start: String, n: Int, pow: [String: Any]?, consent: Bool = true, email: String? = nil) -> [String: Any] {
        var body: [String: Any] = [
            "start": start, "contact": ["name": "Client \(n)", "email": email ?? "client\(n)@example.com", "phone": "+7 916 000-00-\(String(format: "%02d", n % 100))"],
            "time_zone": "Asia/Tokyo", "locale": "en", "consent": consent,
        ]
        if let pow { body["proof_of_work"] = pow }
        return body
    }

    static func storedCount(_ suite: SuiteProcess) throws -> Int {
        try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]]).count
    }

    @Test func slotsAreInTheAskedZoneAndBadParametersAreProblems() async throws {
        try await Self.withSite { _, client in
            let slots = try await Self.call(client, .get, "/api/v1/slots?time_zone=America/New_York&days=2")
            #expect(slots.status == .ok)
            let first = try #require((slots.json["slots"] as? [[String: Any]])?.first)
            // The clock starts 2026-12-01 07:58 MSK; with 2 hours' notice the first slot is 10:00 MSK.
            #expect(first["local_start"] as? String == "2026-12-01T02:00:00-05:00")
            for (query, field) in [("days=0", "days"), ("days=x", "days"), ("time_zone=Mars/Base", "time_zone"), ("from=2026-13-01", "from")] {
                let answer = try await Self.call(client, .get, "/api/v1/slots?\(query)")
                #expect(answer.status == .unprocessableContent, "\(query)")
                #expect(answer.headers[.contentType] == "application/problem+json")
                #expect(answer.json["field"] as? String == field, "\(query)")
                #expect(answer.json["code"] as? String == "validation_failed")
            }
            let ready = try await Self.call(client, .get, "/readyz")
            #expect(ready.status == .ok, "\(ready.body)")
        }
    }

    @Test func bookGetCalendarRescheduleAndCancelThroughTheAPI() async throws {
        try await Self.withSite { suite, client in
            let booked = try await Self.call(client, .post, "/api/v1/bookings", json: Self.bookingBody("2026-12-02T11:00:00+03:00", n: 1, pow: try await Self.solvedChallenge(client)))
            #expect(booked.status == .created, "\(booked.body)")
            let reference = try #require(booked.json["reference"] as? String)
            #expect(booked.headers[.location] == "/api/v1/bookings/\(reference)")
            #expect(booked.json["time_zone"] as? String == "Asia/Tokyo")
            #expect(booked.json["start"] as? String == "2026-12-02T08:00:00.000Z")

            let shown = try await Self.call(client, .get, "/api/v1/bookings/\(reference.lowercased())")
            #expect(shown.status == .ok)
            #expect(shown.json["reference"] as? String == reference)

            let ics = try await Self.call(client, .get, "/api/v1/bookings/\(reference)/calendar.ics")
            #expect(ics.status == .ok)
            #expect(ics.headers[.contentType] == "text/calendar; charset=utf-8")
            #expect(ics.body.contains("DTSTART:20261202T080000Z"))

            let moved = try await Self.call(client, .post, "/api/v1/bookings/\(reference)/reschedule", json: ["start": "2026-12-03T15:30:00+03:00", "reason": "client asked"])
            #expect(moved.status == .ok, "\(moved.body)")
            #expect(moved.json["start"] as? String == "2026-12-03T12:30:00.000Z")

            let cancelled = try await Self.call(client, .post, "/api/v1/bookings/\(reference)/cancel", json: ["reason": "plans changed"])
            #expect(cancelled.status == .ok)
            #expect(cancelled.json["status"] as? String == "cancelled")

            let again = try await Self.call(client, .post, "/api/v1/bookings/\(reference)/reschedule", json: ["start": "2026-12-04T10:00:00+03:00"])
            #expect(again.status == .conflict)
            #expect(again.json["code"] as? String == "invalid_transition")

            let history = try #require(try suite.bookctlJSON(["history", reference]) as? [String: Any])
            let kinds = (history["entries"] as? [[String: Any]])?.map { $0["kind"] as? String }
            #expect(kinds == ["created", "rescheduled", "cancelled"])
            #expect(!suite.log("bookingd").contains(reference), "bookingd logs references masked")
        }
    }

    @Test func everyRefusalIsAProblemNamingTheCodeAndTheField() async throws {
        try await Self.withSite { suite, client in
            let start = "2026-12-02T12:00:00+03:00"
            func book(_ body: [String: Any], headers: HTTPFields = [:]) async throws -> Answer {
                try await Self.call(client, .post, "/api/v1/bookings", json: body, headers: headers)
            }
            let cases: [(String, Answer, HTTPResponse.Status, String, String?)] = [
                ("no proof of work", try await book(Self.bookingBody(start, n: 1, pow: nil)), .forbidden, "proof_of_work_failed", "proof_of_work"),
                ("no consent", try await book(Self.bookingBody(start, n: 1, pow: try await Self.solvedChallenge(client), consent: false)), .unprocessableContent, "consent_required", "consent"),
                ("bad email", try await book(Self.bookingBody(start, n: 1, pow: try await Self.solvedChallenge(client), email: "not-an-email")), .unprocessableContent, "validation_failed", "contact.email"),
                ("off grid", try await book(Self.bookingBody("2026-12-02T12:10:00+03:00", n: 1, pow: try await Self.solvedChallenge(client))), .unprocessableContent, "off_grid", "start"),
                ("in the past", try await book(Self.bookingBody("2026-11-30T12:00:00+03:00", n: 1, pow: try await Self.solvedChallenge(client))), .unprocessableContent, "in_past", "start"),
                ("malformed start", try await book(["start": "tomorrow", "contact": ["name": "x", "email": "x@example.com", "phone": "+79160000000"]]), .unprocessableContent, "validation_failed", "start"),
                ("not JSON", try await Self.call(client, .post, "/api/v1/bookings", headers: [.contentType: "text/plain"]), .unsupportedMediaType, "unsupported_media_type", nil),
                ("broken JSON", try await client.execute(uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{")) {
                    Answer(status: $0.status, headers: $0.headers, body: String(buffer: $0.body)) }, .badRequest, "malformed", nil),
                ("bad reference", try await Self.call(client, .get, "/api/v1/bookings/BK-NOPE"), .badRequest, "invalid_reference", "reference"),
                ("unknown reference", try await Self.call(client, .get, "/api/v1/bookings/\(BookingReference.random())"), .notFound, "not_found", "reference"),
                ("unknown route", try await Self.call(client, .get, "/api/v1/appointments"), .notFound, "not_found_route", nil),
                ("wrong type", try await book(["start": 7, "contact": ["name": "x", "email": "x@example.com", "phone": "+79160000000"]]), .unprocessableContent, "validation_failed", "start"),
                ("null required", try await book(["start": NSNull(), "contact": ["name": "x", "email": "x@example.com", "phone": "+79160000000"]]), .unprocessableContent, "validation_failed", "start"),
                ("not an object", try await client.execute(uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "[1]")) {
                    Answer(status: $0.status, headers: $0.headers, body: String(buffer: $0.body)) }, .badRequest, "malformed", nil),
                ("bad idempotency key", try await book(Self.bookingBody(start, n: 1, pow: nil), headers: [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 101)]),
                 .unprocessableContent, "validation_failed", "Idempotency-Key"),
            ]
            for (name, answer, status, code, field) in cases {
                #expect(answer.status == status, "\(name): \(answer.body)")
                #expect(answer.headers[.contentType] == "application/problem+json", "\(name)")
                #expect(answer.json["code"] as? String == code, "\(name): \(answer.body)")
                #expect(answer.json["field"] as? String == field, "\(name): \(answer.body)")
                #expect(answer.json["status"] as? Int == Int(status.code), "\(name)")
            }
            #expect(try Self.storedCount(suite) == 0, "nothing refused was stored")

            // A method a documented path does not have: 405 naming the ones it has.
            for (method, path, allowed) in [(HTTPRequest.Method.get, "/api/v1/bookings", "POST"), (.delete, "/api/v1/bookings/\(BookingReference.random())", "GET, HEAD"),
                                             (.put, "/api/v1/slots", "GET, HEAD"), (.options, "/api/v1/bookings/BK-1/cancel", "POST")] {
                let answer = try await Self.call(client, method, path)
                #expect(answer.status == .methodNotAllowed, "\(method) \(path): \(answer.body)")
                #expect(answer.headers[.allow] == allowed, "\(method) \(path)")
                #expect(answer.json["code"] as? String == "method_not_allowed")
            }

            // The slot taken by someone else, and bookingd's limit of future bookings per contact
            // (bookings.max_future_bookings_per_contact, 2 by default), with webd asking nothing first.
            let first = try await book(Self.bookingBody(start, n: 1, pow: try await Self.solvedChallenge(client)))
            #expect(first.status == .created)
            let taken = try await book(Self.bookingBody(start, n: 2, pow: try await Self.solvedChallenge(client)))
            #expect(taken.status == .conflict)
            #expect(taken.json["code"] as? String == "slot_unavailable")
            let second = try await book(Self.bookingBody("2026-12-02T12:30:00+03:00", n: 1, pow: try await Self.solvedChallenge(client)))
            #expect(second.status == .created)
            let third = try await book(Self.bookingBody("2026-12-02T13:00:00+03:00", n: 1, pow: try await Self.solvedChallenge(client)))
            #expect(third.status == .conflict)
            #expect(third.json["code"] as? String == "contact_limit_reached", "\(third.body)")
            #expect(["contact.email", "contact.phone"].contains(third.json["field"] as? String ?? ""), "\(third.body)")
            #expect(try Self.storedCount(suite) == 2)
        }
    }

    @Test func aScriptedClientThatIgnoresTheDefencesStoresNothing() async throws {
        try await Self.withSite(web: "  rate_limits:\n    ip: {capacity: 5, refill_per_minute: 1}\n") { suite, client in
            // No proof of work, a forged one, a replayed one: refused.
            var statuses: [HTTPResponse.Status] = []
            for n in 0..<3 {
                let forged: [String: Any] = ["challenge": String(repeating: "0", count: 64), "salt": "9999999999.1", "signature": String(repeating: "a", count: 64), "number": 1]
                statuses.append(try await Self.call(client, .post, "/api/v1/bookings", json: Self.bookingBody("2026-12-02T1\(n):00:00+03:00", n: n, pow: n == 0 ? nil : forged)).status)
            }
            #expect(statuses == [.forbidden, .forbidden, .forbidden])
            // Hammering: the address' bucket (5) runs dry, and stays dry whatever the body.
            var limited: Answer?
            for n in 0..<10 {
                let answer = try await Self.call(client, .post, "/api/v1/bookings", json: Self.bookingBody("2026-12-03T10:00:00+03:00", n: n, pow: nil))
                if answer.status == .tooManyRequests { limited = answer; break }
            }
            let refusal = try #require(limited)
            #expect(refusal.json["code"] as? String == "rate_limited")
            #expect(Int(refusal.headers[.retryAfter] ?? "") ?? 0 > 0)
            let withProof = try await Self.call(client, .post, "/api/v1/bookings", json: Self.bookingBody("2026-12-03T10:00:00+03:00", n: 1, pow: try await Self.solvedChallenge(client)))
            #expect(withProof.status == .tooManyRequests, "a solved challenge does not lift the rate limit")
            // The form without a session, token, or with the honeypot filled.
            let form = "start=2026-12-02T07%3A00%3A00.000Z&name=Bot&email=bot%40example.com&country=RU&phone=9161234567&consent=yes"
            for extra in ["", "&form_token=1.00", "&website=http%3A%2F%2Fspam.example"] {
                let answer = try await client.execute(uri: "/book", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "bk_session=0123456789abcdef0123456789abcdef"],
                                                      body: ByteBuffer(string: form + extra)) { $0.status }
                #expect(answer == .forbidden, "\(extra)")
            }
            #expect(try Self.storedCount(suite) == 0)
        }
    }

    @Test func theFormBooksWithoutJavaScriptAndRedirectsToTheConfirmation() async throws {
        try await Self.withSite { suite, client in
            let page = try await Self.call(client, .get, "/book?start=2026-12-02T08%3A00%3A00.000Z&tz=Asia%2FTokyo&lang=en")
            #expect(page.status == .ok)
            #expect(page.body.contains("17:00–17:30 (Asia/Tokyo)"), "the slot in the visitor's zone")
            let cookies = page.headers[values: .setCookie].map { $0.split(separator: ";")[0] }.joined(separator: "; ")
            let token = try #require(page.body.components(separatedBy: "name=\"form_token\" value=\"").dropFirst().first?.prefix { $0 != "\"" })
            func post(_ fields: String) async throws -> Answer {
                try await client.execute(uri: "/book", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookies],
                                         body: ByteBuffer(string: "form_token=\(token)&tz=Asia%2FTokyo&lang=en&" + fields)) {
                    Answer(status: $0.status, headers: $0.headers, body: String(buffer: $0.body))
                }
            }
            // Errors come back beside their fields, with what was typed kept.
            let invalid = try await post("start=2026-12-02T08%3A00%3A00.000Z&name=&email=nope&country=RU&phone=12&company=")
            #expect(invalid.status == .unprocessableContent)
            for field in ["name", "email", "phone", "consent"] { #expect(invalid.body.contains("id=\"\(field)-error\""), "\(field)") }
            #expect(invalid.body.contains("value=\"nope\""))
            let booked = try await post("start=2026-12-02T08%3A00%3A00.000Z&name=Jane+Doe&email=jane%40example.com&country=US&phone=212+555+0100&consent=yes")
            #expect(booked.status == .seeOther, "\(booked.body)")
            let location = try #require(booked.headers[.location])
            #expect(location.hasPrefix("/manage/BK-") && location.hasSuffix("?done=booked"))
            let confirmation = try await Self.call(client, .get, location, headers: [.cookie: cookies])
            #expect(confirmation.body.contains("17:00–17:30 (Asia/Tokyo) · 11:00 Moscow time"))
            let stored = try #require(try suite.bookctlJSON(["list"]) as? [[String: Any]])
            #expect(stored.count == 1)
            #expect((stored.first?["contact"] as? [String: Any])?["phone"] as? String == "+12125550100")
            #expect(stored.first?["timeZone"] as? String == "Asia/Tokyo")
            // The same form sent again (a double click) books once.
            let twice = try await post("start=2026-12-02T08%3A00%3A00.000Z&name=Jane+Doe&email=jane%40example.com&country=US&phone=212+555+0100&consent=yes")
            #expect(twice.headers[.location] == location)
            #expect(try Self.storedCount(suite) == 1)
        }
    }

    /// Every documented operation, called for real: the status it answers with is documented
    /// for it, with the documented media type.
    @Test func everyRouteAnswersAsTheOpenAPIDocumentSays() async throws {
        try await Self.withSite { _, client in
            let booked = try await Self.call(client, .post, "/api/v1/bookings", json: Self.bookingBody("2026-12-02T14:00:00+03:00", n: 5, pow: try await Self.solvedChallenge(client)))
            let reference = try #require(booked.json["reference"] as? String)
            var checked: Set<String> = []
            for operation in OpenAPIDocument.operations {
                let path = "/api/v1" + operation.path.replacingOccurrences(of: "{reference}", with: reference)
                var calls: [Answer] = []
                switch operation.id {
                case "book":
                    calls.append(booked)
                    calls.append(try await Self.call(client, .post, path, json: Self.bookingBody("2026-12-02T14:00:00+03:00", n: 6, pow: nil)))
                case "reschedule":
                    calls.append(try await Self.call(client, .post, path, json: ["start": "2026-12-02T14:30:00+03:00"]))
                    calls.append(try await Self.call(client, .post, path, json: ["start": "2026-12-02T14:40:00+03:00"]))
                case "cancel":
                    calls.append(try await Self.call(client, .post, path, json: [String: Any]()))
                    calls.append(try await Self.call(client, .post, "/api/v1/bookings/\(BookingReference.random())/cancel", json: [String: Any]()))
                case "confirm":
                    calls.append(try await Self.call(client, .post, path, json: ["code": "000000"]))
                    calls.append(try await Self.call(client, .post, "/api/v1/bookings/\(BookingReference.random())/confirm", json: ["code": "000000"]))
                default:
                    calls.append(try await Self.call(client, .get, path))
                    if operation.path.contains("{reference}") {
                        calls.append(try await Self.call(client, .get, "/api/v1" + operation.path.replacingOccurrences(of: "{reference}", with: "BK-0000")))
                    }
                }
                for answer in calls {
                    let documented = try #require(operation.responses[Int(answer.status.code)], "\(operation.id) answered \(answer.status) (\(answer.body.prefix(200)))")
                    #expect(answer.headers[.contentType]?.hasPrefix(documented.1) == true, "\(operation.id) \(answer.status): \(answer.headers[.contentType] ?? "-")")
                }
                checked.insert(operation.id)
            }
            #expect(checked.count == OpenAPIDocument.operations.count)
        }
    }
}
