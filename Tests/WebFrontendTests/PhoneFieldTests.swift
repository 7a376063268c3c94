import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import HTMLEscaping
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PhoneNumbers
import Testing
@testable import WebFrontend

/// The phone field as a client meets it: the form and the JSON API over the in-process suite.
@Suite(.serialized) struct PhoneFieldTests {
    typealias Core = CoreAnswersTests

    @Test(arguments: [("en", "Europe%2FLondon", "GB"), ("en", "America%2FNew_York", "US"), ("ru", "Europe%2FMoscow", "RU"), ("ru", "Asia%2FAlmaty", "KZ")])
    func theFormStartsWithTheVisitorsCountryAndItsExample(lang: String, zone: String, region: String) async throws {
        try await Core.withSite { _, client, _ in
            let uri = "/book?start=\(ISO8601.instant(Core.start))&tz=\(zone)&lang=\(lang)"
            let page = try await client.execute(uri: uri, method: .get) { String(buffer: $0.body) }
            let language = try #require(SupportedLocale(rawValue: lang))
            let country = try #require(language.phoneCountries.first { $0.region == region })
            #expect(page.contains("<option value=\"\(region)\" data-example=\"\(escapeHTML(country.example.national))\" selected>\(escapeHTML(country.name)) +\(country.callingCode)</option>"))
            #expect(page.components(separatedBy: " selected>").count == 2, "one country is chosen")
            #expect(page.contains("<span id=\"phone-example\">\(escapeHTML(country.example.national))</span>"))
        }
    }

    @Test func aNationalNumberIsReadInTheChosenCountryAndStoredInE164() async throws {
        try await Core.withSuiteAndSite { site, client, _, bookingd in
            let (status, location) = try await Core.postForm(site, client, lang: "en", email: "anna@example.com", country: "GB", phone: "07400 123456")
            #expect(status == .seeOther, "\(location)")
            let reference = try #require(location.split(separator: "/").last?.split(separator: "?").first)
            let stored: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: String(reference)))
            #expect(stored.contact.phone == "+447400123456")
        }
    }

    @Test(arguments: [SupportedLocale.ru, .en])
    func theFormRefusesABadNumberInTheVisitorsLanguageWithTheCountrysExample(language: SupportedLocale) async throws {
        try await Core.withSite { site, client, _ in
            let (status, page) = try await Core.postForm(site, client, lang: language.rawValue, email: "anna@example.com", country: "GB", phone: "07400 12345")
            #expect(status == .unprocessableContent)
            let message = language.text(.invalidContact(.phone, .phoneNumber(PhoneNumberError(.invalidForRegion, region: "GB"))))
            #expect(message.contains("07400 123456") && message.contains("+44 7400 123456"))
            #expect(message.contains(language == .ru ? "Великобритания" : "United Kingdom"))
            #expect(page.contains("<p class=\"error\" id=\"phone-error\">\(escapeHTML(message))</p>"), "\(page)")
            #expect(page.contains("value=\"07400 12345\""), "what was typed is kept")
            #expect(page.contains("<option value=\"GB\" data-example=\"07400 123456\" selected>"), "and the country chosen")
        }
    }

    @Test(arguments: [SupportedLocale.ru, .en])
    func theAPIRefusesABadNumberInTheClientsLanguage(language: SupportedLocale) async throws {
        try await Core.withSite { site, client, _ in
            let solution = try #require(ProofOfWork.solve(site.proofOfWork.challenge(now: Core.suiteNow())))
            func book(_ phone: String, region: String?) async throws -> (HTTPResponse.Status, [String: Any]) {
                var contact: [String: Any] = ["name": "Anna", "email": "anna@example.com", "phone": phone]
                contact["phone_region"] = region
                let body: [String: Any] = [
                    "start": ISO8601.instant(Core.start), "consent": true, "locale": language.rawValue, "contact": contact,
                    "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
                ]
                return try await client.execute(
                    uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"],
                    body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
                ) { ($0.status, Core.json(String(buffer: $0.body))) }
            }
            for (phone, region, problem) in [
                ("0800 123 4567", "GB", PhoneNumberError(.wrongType(.tollFree), region: "GB")),
                ("07400 123456", nil, PhoneNumberError(.invalidCountryCode, region: nil)),
                ("07400 123456", "XX", PhoneNumberError(.unknownRegion, region: "XX")),
            ] as [(String, String?, PhoneNumberError)] {
                let (status, answer) = try await book(phone, region: region)
                #expect(status == .unprocessableContent, "\(phone)")
                #expect(answer["code"] as? String == "validation_failed")
                #expect(answer["field"] as? String == "contact.phone")
                #expect(answer["detail"] as? String == language.text(.invalidContact(.phone, .phoneNumber(problem))), "\(phone)")
            }
            let (status, booked) = try await book("07400 123456", region: "GB")
            #expect(status == .created)
            // Stored in E.164 (+447400123456), shown masked.
            #expect((booked["contact"] as? [String: Any])?["phone"] as? String == "+4474******56")
        }
    }
}
