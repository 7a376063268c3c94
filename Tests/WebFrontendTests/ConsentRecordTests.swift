import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import WebFrontend

/// What a booking through webd leaves as proof of consent in bookingd: the notice's version, the
/// time and the masked address, and marketing consent as a record of its own, only when given.
@Suite(.serialized) struct ConsentRecordTests {
    @Test func aBookingRecordsItsConsentsWithTheNoticeAndTheMaskedAddress() async throws {
        try await CoreAnswersTests.withSuiteAndSite { site, client, _, bookingd in
            func book(_ email: String, at hour: String, marketing: Bool?) async throws -> String {
                let solution = try #require(ProofOfWork.solve(site.proofOfWork.challenge(now: CoreAnswersTests.suiteNow())))
                var body: [String: Any] = [
                    "start": "2026-12-03T\(hour):00+03:00", "consent": true, "locale": "en",
                    "contact": ["name": "Kate Doe", "email": email, "phone": "+1 212 555 0100"],
                    "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
                ]
                if let marketing { body["marketing_consent"] = marketing }
                return try await client.execute(uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"],
                                                body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))) { response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    return try #require(CoreAnswersTests.json(String(buffer: response.body))["reference"] as? String)
                }
            }
            let withMarketing = try await book("kate@example.com", at: "12:00", marketing: true)
            let without = try await book("kate@example.com", at: "12:30", marketing: nil)

            let export: ExportReply = try await bookingd.call(MessageType.export, DataSubjectRequest(email: "kate@example.com"))
            let consents = try #require(export.consents)
            #expect(consents.map { "\($0.reference) \($0.purpose)" } == ["\(withMarketing) processing", "\(withMarketing) marketing", "\(without) processing"])
            for consent in consents {
                #expect(consent.notice == site.noticeVersion(.en))
                #expect(consent.address == "127.0.0.x", "the address is kept masked, never whole")
                #expect(abs(consent.at.timeIntervalSince(CoreAnswersTests.suiteNow())) < 60, "on the suite's clock")
            }

            // Erased, the person's consents keep which notice and when, not the address.
            let _: ErasureBody = try await bookingd.call(MessageType.erase, EraseRequest(email: "kate@example.com"))
            let after: ExportReply = try await bookingd.call(MessageType.export, DataSubjectRequest(reference: withMarketing))
            #expect(after.consents?.count == 3)
            #expect(after.consents?.allSatisfy { $0.address == nil && $0.notice == site.noticeVersion(.en) } == true)
        }
    }

    @Test func aConsentThatIsNotAsTheFormRecordsItIsRefusedAndBooksNothing() async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, _, _, bookingd in
            for (consent, field) in [(ConsentBody(notice: "v1", at: Date(), address: "203.0.113.7"), "consent.address"),
                                     (ConsentBody(notice: "v1\nforged", at: Date(), address: nil), "consent.notice")] {
                let request = BookRequest(start: try #require(ISO8601.parseInstant("2026-12-03T13:00:00+03:00")),
                                          contact: ContactBody(name: "Kate Doe", email: "kate@example.com", phone: "+12125550100"), consent: consent)
                await #expect { let _: AppointmentBody = try await bookingd.call(MessageType.book, request) } throws: { error in
                    (error as? ProtocolError)?.code == .validationFailed && (error as? ProtocolError)?.field == field
                }
            }
            let list: ListReply = try await bookingd.call(MessageType.list, ListRequest(email: "kate@example.com"))
            #expect(list.appointments.isEmpty)
        }
    }

    @Test func aRetryAtAnotherMomentIsTheSameBookingAndKeepsTheFirstConsent() async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, _, _, bookingd in
            func book(at seconds: TimeInterval) async throws -> AppointmentBody {
                try await bookingd.call(MessageType.book, BookRequest(
                    start: try #require(ISO8601.parseInstant("2026-12-03T13:00:00+03:00")),
                    contact: ContactBody(name: "Kate Doe", email: "kate@example.com", phone: "+12125550100"),
                    consent: ConsentBody(notice: "v1", at: CoreAnswersTests.suiteNow().addingTimeInterval(seconds), address: "127.0.0.x")
                ), idempotencyKey: "consent-retry-1")
            }
            let first = try await book(at: 0)
            let again = try await book(at: 5)
            #expect(again.reference == first.reference)
            let export: ExportReply = try await bookingd.call(MessageType.export, DataSubjectRequest(email: "kate@example.com"))
            #expect(export.consents?.count == 1)
        }
    }

    @Test func aMaskedAddressKeepsTheNetworkNotTheHost() {
        #expect(IPAddress("203.0.113.77")?.masked == "203.0.113.x")
        #expect(IPAddress("::ffff:198.51.100.9")?.masked == "198.51.100.x")
        #expect(IPAddress("2001:db8:1234:5678::1")?.masked == "2001:db8:1234::/48")
    }
}
