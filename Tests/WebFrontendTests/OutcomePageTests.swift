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
import NIOCore
import SuiteTesting
import Testing
@testable import WebFrontend

/// The consultant's one-click outcome links, over the real core in-process: the link's page
/// marks nothing; only its button does, and bookingd decides.
@Suite(.serialized) struct OutcomePageTests {
    static let start = ISO8601.parseInstant("2026-12-02T11:00:00+03:00")!

    static func book(_ bookingd: DaemonClient, start: Date = start, email: String = "ann.lee@example.com") async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, BookRequest(start: start, contact: ContactBody(name: "Ann Lee", email: email, phone: "+12125550142")))
    }

    static func status(_ bookingd: DaemonClient, _ reference: String) async throws -> String {
        let found: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: reference))
        return found.status
    }

    static func milliseconds(_ date: Date) -> String { String(Int64((date.timeIntervalSince1970 * 1000).rounded())) }

    static func link(_ reference: String, outcome: String = OutcomeName.attended, expires: Date, token: String, lang: String = "en") -> String {
        "/manage/\(reference)/outcome?outcome=\(outcome)&expires=\(milliseconds(expires))&token=\(token)&lang=\(lang)"
    }

    @Test(arguments: [SupportedLocale.en, .ru])
    func theLinksPageNamesTheBookingAndMarksNothing(language: SupportedLocale) async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, client, _, bookingd in
            let appointment = try await Self.book(bookingd)
            let uri = Self.link(appointment.reference, outcome: OutcomeName.noShow, expires: CoreAnswersTests.suiteNow().addingTimeInterval(86_400),
                                token: "t0ken", lang: language.rawValue)
            for _ in 0..<2 {
                let (status, headers, page) = try await client.execute(uri: uri, method: .get) { ($0.status, $0.headers, String(buffer: $0.body)) }
                #expect(status == .ok, "\(page)")
                #expect(headers[.referrerPolicy] == "no-referrer" && headers[.xRobotsTag] == "noindex, nofollow")
                #expect(page.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"))
                #expect(page.contains(escapeHTML(language.text(outcome: .title))))
                #expect(page.contains(appointment.reference) && page.contains("Consultant \(appointment.consultantId)"))
                #expect(page.contains("data-outcome=\"no_show\"") && page.contains(escapeHTML(language.text(outcome: .noShow))))
                #expect(page.contains(escapeHTML(language.text(outcome: .notStartedYet(VisitorTime(zone: VisitorTime.moscow, language: language).clock(Self.start))))))
                #expect(page.contains("name=\"token\" value=\"t0ken\"") && page.contains("id=\"outcome-button\"") && page.contains("name=\"note\""))
                for contact in ["Ann", "ann.lee", "a***@example.com", "5550142", "*42"] { #expect(!page.contains(contact), "\(contact)") }
            }
            #expect(try await Self.status(bookingd, appointment.reference) == "confirmed", "opening the link marks nothing")
        }
    }

    @Test func aLinkThatCannotMarkSaysWhyBeforeAnyButton() async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, client, _, bookingd in
            let now = CoreAnswersTests.suiteNow()
            let appointment = try await Self.book(bookingd)
            func open(_ uri: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: uri, method: .get) { ($0.status, String(buffer: $0.body)) }
            }
            let expired = try await open(Self.link(appointment.reference, expires: now.addingTimeInterval(-1), token: "t0ken"))
            #expect(expired.0 == .gone && expired.1.contains(escapeHTML(SupportedLocale.en.text(outcome: .expired))))
            let wrong = try await open(Self.link(appointment.reference, outcome: "maybe", expires: now.addingTimeInterval(3600), token: "t0ken"))
            #expect(wrong.0 == .badRequest && wrong.1.contains(escapeHTML(SupportedLocale.en.text(outcome: .wrong))))
            let tokenless = try await open("/manage/\(appointment.reference)/outcome?outcome=attended&expires=\(Self.milliseconds(now.addingTimeInterval(3600)))")
            #expect(tokenless.0 == .badRequest)
            for page in [expired.1, wrong.1] { #expect(!page.contains("id=\"outcome-button\"")) }

            let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: appointment.reference))
            let cancelled = try await open(Self.link(appointment.reference, expires: now.addingTimeInterval(3600), token: "t0ken"))
            #expect(cancelled.0 == .conflict && cancelled.1.contains(escapeHTML(SupportedLocale.en.text(outcome: .cancelled))))
            let unknown = try await open(Self.link(BookingReference.random().description, expires: now.addingTimeInterval(3600), token: "t0ken"))
            #expect(unknown.0 == .notFound)
        }
    }

    @Test func aPostWithoutTheFormsTokenMarksNothing() async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, client, _, bookingd in
            let appointment = try await Self.book(bookingd)
            let expires = Self.milliseconds(CoreAnswersTests.suiteNow().addingTimeInterval(3600))
            let posted = try await CoreAnswersTests.post(client, "/manage/\(appointment.reference)/outcome",
                                                         ["outcome": "attended", "expires": expires, "token": "t0ken", "lang": "en", "form_token": "1.forged"])
            #expect(posted.0 == .forbidden && posted.2.contains(escapeHTML(SupportedLocale.en.text(.formExpired))))
            #expect(posted.2.contains("id=\"outcome-button\""), "the page is offered again")
            #expect(try await Self.status(bookingd, appointment.reference) == "confirmed")
        }
    }
}

/// The button against bookingd's own checks: a suite whose clock is moved (restarted on its
/// files) past the consultation's start, and later past its links' end.
@Suite(.serialized) struct OutcomeMarkTests {
    static let slot = ISO8601.parseInstant("2026-12-01T10:00:00+03:00")!

    /// The site over `suite`, on the suite's clock.
    static func withSite(_ suite: InProcessSuite, _ body: @Sendable (BookingWebsite, any TestClientProtocol) async throws -> Void) async throws {
        let services = DaemonBookingServices(bookingd: try await suite.client(.bookingd, timeout: .seconds(10)),
                                             availabilityd: try await suite.client(.availabilityd, timeout: .seconds(5)),
                                             notifyd: try await suite.client(.notifyd, timeout: .seconds(5)))
        var configuration = WebConfiguration(stateDirectory: suite.directory)
        configuration.minFillSeconds = 0
        let site = try BookingWebsite(configuration: configuration, key: SymmetricKey(size: .bits256), services: services, calendarZone: VisitorTime.moscow,
                                      clock: SuiteClock(configuration: suite.configuration), logger: Logger(label: "webd-test"))
        let app = Application(router: site.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(site, client) }
    }
    /// The button's post: the status and the page.
    static func press(_ site: BookingWebsite, _ client: any TestClientProtocol, _ reference: String, outcome: String, expiresAt: Date, token: String,
                      note: String = "") async throws -> (HTTPResponse.Status, String) {
        let formToken = site.formTokens.issue(session: CoreAnswersTests.session, now: site.clock.now())
        let posted = try await CoreAnswersTests.post(client, "/manage/\(reference)/outcome", [
            "form_token": formToken, "outcome": outcome, "expires": OutcomePageTests.milliseconds(expiresAt), "token": token, "note": note, "lang": "en",
        ])
        return (posted.0, posted.2)
    }

    static func status(_ suite: InProcessSuite, _ reference: String) async throws -> String {
        try await OutcomePageTests.status(try await suite.client(.bookingd, timeout: .seconds(10)), reference)
    }

    @Test func theButtonMarksOnlyWithTheLinksTokenAfterTheStart() async throws {
        let first = InProcessSuite.Options().clockStart
        let suite = try await InProcessSuite.start(InProcessSuite.Options())
        let bookingd = try await suite.client(.bookingd, timeout: .seconds(10))
        let booked = try await OutcomePageTests.book(bookingd, start: Self.slot)
        let reference = booked.reference
        // As notifyd asks for them, for the consultant's email.
        let contact: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: reference))
        let links = try #require(contact.outcomeLinks)
        let en = SupportedLocale.en

        try await Self.withSite(suite) { site, client in
            let early = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt, token: links.attendedToken)
            #expect(early.0 == .conflict && early.1.contains(escapeHTML(en.text(outcome: .notStartedYet("10:00")))), "\(early.1)")
        }
        #expect(try await Self.status(suite, reference) == "confirmed")

        let later = try await suite.restarted(clockFrom: first, to: "2026-12-01T10:20:00+03:00")
        try await Self.withSite(later) { site, client in
            let link = "/manage/\(reference)/outcome?outcome=attended&expires=\(OutcomePageTests.milliseconds(links.expiresAt))&token=\(links.attendedToken)&lang=en"
            let opened = try await client.execute(uri: link, method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(opened.0 == .ok && opened.1.contains("id=\"outcome-button\""))
            #expect(try await Self.status(later, reference) == "confirmed", "opening the link marks nothing")

            let tampered = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt,
                                                token: String(links.attendedToken.reversed()))
            #expect(tampered.0 == .forbidden && tampered.1.contains(escapeHTML(en.text(outcome: .wrong))))
            let otherOutcome = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt, token: links.noShowToken)
            #expect(otherOutcome.0 == .forbidden)
            let longer = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt.addingTimeInterval(86_400),
                                              token: links.attendedToken)
            #expect(longer.0 == .forbidden, "the end is signed with the token")
            #expect(try await Self.status(later, reference) == "confirmed")

            let marked = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt, token: links.attendedToken,
                                              note: "on time")
            #expect(marked.0 == .ok && marked.1.contains(escapeHTML(en.text(outcome: .marked(en.text(outcome: .attended))))), "\(marked.1)")
            #expect(marked.1.contains("data-status=\"completed\""))
            #expect(try await Self.status(later, reference) == "completed")
            let again = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt, token: links.attendedToken)
            #expect(again.0 == .ok && again.1.contains(escapeHTML(en.text(outcome: .markedAlready(en.text(outcome: .attended))))))
            let corrected = try await Self.press(site, client, reference, outcome: OutcomeName.noShow, expiresAt: links.expiresAt, token: links.noShowToken)
            #expect(corrected.0 == .ok && corrected.1.contains(escapeHTML(en.text(outcome: .marked(en.text(outcome: .noShow))))))
            #expect(try await Self.status(later, reference) == "no_show")
            let manage = try await client.execute(uri: "/manage/\(reference)?lang=en", method: .get) { String(buffer: $0.body) }
            #expect(manage.contains("data-status=\"no_show\">\(en.text(.statusNoShow))<"), "the client's page says it in words")
        }

        let expired = try await later.restarted(clockFrom: "2026-12-01T10:20:00+03:00", to: "2026-12-30T10:00:00+03:00")
        try await Self.withSite(expired) { site, client in
            #expect(links.expiresAt < site.clock.now())
            let late = try await Self.press(site, client, reference, outcome: OutcomeName.attended, expiresAt: links.expiresAt, token: links.attendedToken)
            #expect(late.0 == .gone && late.1.contains(escapeHTML(en.text(outcome: .expired))))
            #expect(try await Self.status(expired, reference) == "no_show")
        }
        try await expired.stop()
    }
}
