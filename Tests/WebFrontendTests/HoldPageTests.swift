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
import WebInput

/// Hold-then-confirm on the page and the API, over the real core in-process: the email's link
/// opens a page that confirms only on a POST, so a mail scanner that fetches it confirms nothing.
@Suite(.serialized) struct HoldPageTests {
    static let start = ISO8601.parseInstant("2026-12-04T11:00:00+03:00")!

    /// Books through the API as a client would (solved proof of work); the booking and its proof.
    static func book(_ site: BookingWebsite, _ client: any TestClientProtocol, _ bookingd: DaemonClient, email: String) async throws
        -> (reference: String, confirmation: ConfirmationBody) {
        let solution = try #require(ProofOfWork.solve(site.proofOfWork.challenge(now: CoreAnswersTests.suiteNow())))
        let body = try WireJSON.encode(APIBooking(start: start, contact: ContactBody(name: "Jane Doe", email: email, phone: "+12125550123"),
                                                  consent: true, proofOfWork: solution))
        let (status, text) = try await client.execute(uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"],
                                                      body: ByteBuffer(bytes: body)) { ($0.status, String(buffer: $0.body)) }
        #expect(status == .created, "\(text)")
        let booked = CoreAnswersTests.json(text)
        #expect(booked["status"] as? String == "scheduled")
        #expect(booked["hold_expires_at"] is String)
        let reference = try #require(booked["reference"] as? String)
        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        let confirmation = try #require(replay.events.first { $0.appointment.reference == reference }?.confirmation)
        return (reference, confirmation)
    }

    struct APIBooking: Encodable {
        var start: Date
        var contact: ContactBody
        var consent: Bool
        var proofOfWork: ProofOfWorkSolution
    }

    static func status(_ bookingd: DaemonClient, _ reference: String) async throws -> String {
        let found: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: reference))
        return found.status
    }

    @Test func theLinksPageConfirmsOnlyOnAPost() async throws {
        try await CoreAnswersTests.withSuiteAndSite(bookings: "{confirmation: 'on'}") { site, client, _, bookingd in
            let (reference, confirmation) = try await Self.book(site, client, bookingd, email: "link@example.com")
            // The manage page waits for the confirmation, with the code field.
            let manage = try await client.execute(uri: "/manage/\(reference)?lang=en", method: .get) { String(buffer: $0.body) }
            #expect(manage.contains("id=\"hold-waiting\"") && manage.contains("Waiting for your confirmation until"))
            #expect(manage.contains("name=\"code\"") && manage.contains("data-status=\"scheduled\""))

            // A scanner fetches the link, twice: nothing is confirmed.
            for _ in 0..<2 {
                let (status, page) = try await client.execute(uri: "/manage/\(reference)/confirm?token=\(confirmation.token)&lang=en", method: .get) {
                    ($0.status, String(buffer: $0.body))
                }
                #expect(status == .ok)
                #expect(page.contains("name=\"token\" value=\"\(confirmation.token)\"") && page.contains("id=\"confirm-button\""))
            }
            #expect(try await Self.status(bookingd, reference) == "scheduled")

            // A wrong token is refused and changes nothing.
            let token = site.formTokens.issue(session: CoreAnswersTests.session, now: CoreAnswersTests.suiteNow())
            let wrong = try await CoreAnswersTests.post(client, "/manage/\(reference)/confirm",
                                                        ["form_token": token, "token": String(confirmation.token.reversed()), "lang": "en"])
            #expect(wrong.0 == .unprocessableContent && wrong.2.contains(SupportedLocale.en.text(.confirmWrong)))
            #expect(try await Self.status(bookingd, reference) == "scheduled")

            // The button's POST confirms.
            let pressed = try await CoreAnswersTests.post(client, "/manage/\(reference)/confirm", ["form_token": token, "token": confirmation.token, "lang": "en"])
            #expect(pressed.0 == .seeOther || pressed.0 == .found, "\(pressed)")
            #expect(pressed.1 == "/manage/\(reference)?done=confirmed")
            #expect(try await Self.status(bookingd, reference) == "confirmed")
            let done = try await client.execute(uri: "/manage/\(reference)?done=confirmed&lang=en", method: .get) { String(buffer: $0.body) }
            #expect(done.contains(SupportedLocale.en.text(.confirmedDoneTitle)) && done.contains("id=\"ics-link\""))
        }
    }

    @Test func theManagePagesCodeAndTheAPIConfirm() async throws {
        try await CoreAnswersTests.withSuiteAndSite(bookings: "{confirmation: 'on'}") { site, client, _, bookingd in
            let first = try await Self.book(site, client, bookingd, email: "code@example.com")
            let token = site.formTokens.issue(session: CoreAnswersTests.session, now: CoreAnswersTests.suiteNow())
            let typed = try await CoreAnswersTests.post(client, "/manage/\(first.reference)/confirm",
                                                        ["form_token": token, "code": first.confirmation.code, "lang": "en"])
            #expect(typed.1 == "/manage/\(first.reference)?done=confirmed")
            #expect(try await Self.status(bookingd, first.reference) == "confirmed")

            let second = try await Self.book(site, client, bookingd, email: "api@example.com")
            func confirm(_ body: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                try await client.execute(uri: "/api/v1/bookings/\(second.reference)/confirm", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { ($0.status, CoreAnswersTests.json(String(buffer: $0.body))) }
            }
            let wrong = try await confirm(#"{"code": "\#(second.confirmation.code == "123456" ? "654321" : "123456")"}"#)
            #expect(wrong.0 == .unprocessableContent && wrong.1["field"] as? String == "code")
            let neither = try await confirm("{}")
            #expect(neither.0 == .unprocessableContent)
            let right = try await confirm(#"{"token": "\#(second.confirmation.token)"}"#)
            #expect(right.0 == .ok && right.1["status"] as? String == "confirmed")
            let again = try await confirm(#"{"token": "\#(second.confirmation.token)"}"#)
            #expect(again.0 == .ok && again.1["status"] as? String == "confirmed")
        }
    }

    @Test func theProofOfWorkIsRaisedWhileBookingsAreHeld() async throws {
        try await CoreAnswersTests.withSuiteAndSite(bookings: "{confirmation: 'on'}") { site, client, _, _ in
            let challenge = try await client.execute(uri: "/api/v1/challenge", method: .get) { CoreAnswersTests.json(String(buffer: $0.body)) }
            #expect(challenge["max_number"] as? Int == site.proofOfWork.raisedDifficulty * 2)
        }
        try await CoreAnswersTests.withSite { site, client, _ in
            let challenge = try await client.execute(uri: "/api/v1/challenge", method: .get) { CoreAnswersTests.json(String(buffer: $0.body)) }
            #expect(challenge["max_number"] as? Int == site.proofOfWork.difficulty * 2)
        }
    }
}
