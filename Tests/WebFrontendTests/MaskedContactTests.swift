import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import WebFrontend

/// A reference is all it takes to read a booking through webd: every API answer and the booking's
/// page show its contact masked, and neither its company nor its topic (bookingd keeps them).
@Suite(.serialized) struct MaskedContactTests {
    static let masked: [String: String] = ["name": "K*** D***", "email": "k***@example.com", "phone": "+1212*****00"]
    static let whole = ["Kate Doe", "kate.doe@example.com", "kate.doe", "+12125550100", "2125550100", "Doe & Co", "Doe &amp; Co", "Secret plans"]

    @Test func everyAnswerAndThePageShowTheContactMasked() async throws {
        try await CoreAnswersTests.withSuiteAndSite(extra: "meeting: {format: phone}\n") { site, client, _, bookingd in
            let solution = try #require(ProofOfWork.solve(site.proofOfWork.challenge(now: CoreAnswersTests.suiteNow())))
            let body: [String: Any] = [
                "start": ISO8601.instant(CoreAnswersTests.start), "consent": true, "locale": "en", "topic": "Secret plans",
                "contact": ["name": "Kate Doe", "email": "kate.doe@example.com", "phone": "+1 212 555 0100", "company": "Doe & Co"],
                "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
            ]
            func answer(_ uri: String, _ method: HTTPRequest.Method, json: [String: Any]? = nil) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: uri, method: method, headers: json == nil ? [:] : [.contentType: "application/json"],
                                         body: json.map { ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: $0)) }) { ($0.status, String(buffer: $0.body)) }
            }
            func expectMasked(_ text: String, _ what: String) {
                let appointment = CoreAnswersTests.json(text)
                #expect(appointment["contact"] as? [String: String] == Self.masked, "\(what): \(text)")
                #expect(appointment["topic"] == nil, "\(what)")
                for value in Self.whole { #expect(!text.contains(value), "\(what) shows \(value)") }
            }

            let (created, booked) = try await answer("/api/v1/bookings", .post, json: body)
            #expect(created == .created, "\(booked)")
            expectMasked(booked, "the new booking")
            let reference = try #require(CoreAnswersTests.json(booked)["reference"] as? String)
            let (_, read) = try await answer("/api/v1/bookings/\(reference)", .get)
            expectMasked(read, "GET")

            let (_, page) = try await answer("/manage/\(reference)?lang=en", .get)
            #expect(page.contains("The consultant will call you at +1212*****00"), "\(page)")
            for value in Self.whole { #expect(!page.contains(value), "the page shows \(value)") }

            let (_, cancelled) = try await answer("/api/v1/bookings/\(reference)/cancel", .post, json: [:])
            expectMasked(cancelled, "cancel")

            // bookingd has it all: only what webd shows is masked.
            let stored: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: reference))
            #expect(stored.contact == ContactBody(name: "Kate Doe", email: "kate.doe@example.com", phone: "+12125550100", company: "Doe & Co"))
            #expect(stored.topic == "Secret plans")
        }
    }
}
