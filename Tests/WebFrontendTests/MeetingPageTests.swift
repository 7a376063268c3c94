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

/// The "what would you like to discuss" field through the form and the API, and the meeting on
/// the confirmation page and in the page's calendar file: the site over bookingd and
/// availabilityd in this process.
@Suite(.serialized) struct MeetingPageTests {
    static let meeting = """
        meeting:
          format: video
          link: "https://meet.example.com/{reference}"
        """

    @Test(arguments: [SupportedLocale.ru, .en])
    func theFormCarriesTheTopicAndTheConfirmationShowsTheRoom(language: SupportedLocale) async throws {
        try await CoreAnswersTests.withSuiteAndSite(extra: Self.meeting) { site, client, recorder, bookingd in
            let topic = "Продажа квартиры <налоги>\r\nи вычеты"
            let response = try await CoreAnswersTests.sendForm(site, client, lang: language.rawValue, email: "kate@example.com", topic: topic)
            #expect(response.status == .seeOther, "\(String(buffer: response.body))")
            let location = try #require(response.headers[.location])
            let reference = try #require(location.split(separator: "/").last?.split(separator: "?").first.map(String.init))
            let link = "https://meet.example.com/\(reference)"

            let page = try await client.execute(uri: location + "&lang=\(language.rawValue)", method: .get) { String(buffer: $0.body) }
            #expect(page.contains("<dd id=\"booking-meeting\" data-format=\"video\">\(language.text(.joinVideo)): <a href=\"\(link)\" rel=\"noopener\">\(link)</a></dd>"), "\(page)")
            #expect(page.contains("<dt>\(language.text(.meeting))</dt>"))

            let json = try await client.execute(uri: "/api/v1/bookings/\(reference)", method: .get) { CoreAnswersTests.json(String(buffer: $0.body)) }
            #expect((json["meeting"] as? [String: Any])?["link"] as? String == link)
            // The topic reached bookingd; the page and the API, anyone's with the reference, do not show it.
            let stored: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: reference))
            #expect(stored.topic == "Продажа квартиры <налоги>\nи вычеты")
            #expect(json["topic"] == nil && !page.contains("Продажа"))

            let ics = try await client.execute(uri: "/api/v1/bookings/\(reference)/calendar.ics", method: .get) { String(buffer: $0.body) }
            #expect(ics.replacingOccurrences(of: "\r\n ", with: "").contains("CONFERENCE;VALUE=URI;FEATURE=VIDEO:\(link)\r\n"))
            #expect(!recorder.entries.contains { "\($0.message) \($0.metadata)".contains("Продажа") }, "the topic is personal data: never logged")
        }
    }

    @Test func aTopicTooLongIsRefusedBesideItsFieldAndKept() async throws {
        try await CoreAnswersTests.withSite(extra: Self.meeting) { site, client, _ in
            let topic = String(repeating: "я", count: 1001)
            let (status, page) = try await CoreAnswersTests.postForm(site, client, lang: "ru", email: "kate@example.com", topic: topic)
            #expect(status == .unprocessableContent)
            #expect(page.contains("<p class=\"error\" id=\"topic-error\">\(SupportedLocale.ru.text(.invalidTopic(.tooLong(maximum: 1000, got: 1001))))</p>"))
            #expect(page.contains("aria-invalid=\"true\""))
            #expect(page.contains(">\(topic)</textarea>"), "what was typed is kept")
        }
    }

    @Test func theAPITakesATopicAndRefusesABadOneNamingTheField() async throws {
        try await CoreAnswersTests.withSuiteAndSite(extra: Self.meeting) { site, client, _, bookingd in
            func book(topic: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let solution = try #require(ProofOfWork.solve(site.proofOfWork.challenge(now: CoreAnswersTests.suiteNow())))
                let body: [String: Any] = [
                    "start": ISO8601.instant(CoreAnswersTests.start), "consent": true, "locale": "en", "topic": topic,
                    "contact": ["name": "Kate Doe", "email": "kate@example.com", "phone": "+12125550100"],
                    "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
                ]
                return try await client.execute(
                    uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
                ) { ($0.status, CoreAnswersTests.json(String(buffer: $0.body))) }
            }
            let (refused, problem) = try await book(topic: "tab\there")
            #expect(refused == .unprocessableContent)
            #expect(problem["field"] as? String == "topic")
            #expect(problem["detail"] as? String == "topic must not contain control characters such as tabs")
            let (created, appointment) = try await book(topic: "Accounts for 2026")
            #expect(created == .created)
            #expect(appointment["topic"] == nil, "personal data: not shown")
            #expect((appointment["meeting"] as? [String: Any])?["format"] as? String == "video")
            let stored: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: try #require(appointment["reference"] as? String)))
            #expect(stored.topic == "Accounts for 2026")
        }
    }
}
