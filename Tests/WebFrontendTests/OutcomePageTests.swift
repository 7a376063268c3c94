import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
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
