import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import HTMLEscaping
import HTTPTypes
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import WebFrontend

/// The booking funnel over the real core in-process: each visit's steps as the site reports
/// them, carried by a signed token in links and forms, never by a cookie.
@Suite(.serialized) struct FunnelTests {
    typealias Site = (site: BookingWebsite, client: any TestClientProtocol, watched: WatchedServices, bookingd: DaemonClient)

    static func withWatchedSite(configure: @Sendable @escaping (inout WebConfiguration) -> Void = { _ in },
                                _ body: @Sendable (Site) async throws -> Void) async throws {
        let watched = WatchedServicesSlot()
        try await CoreAnswersTests.withSuiteAndSite(wrapping: { core in watched.set(WatchedServices(core)) }, configure: configure) { site, client, _, bookingd in
            try await body((site, client, try #require(watched.get()), bookingd))
        }
    }

    /// Until the site has handed every queued step to the core.
    static func settled(_ site: BookingWebsite) async throws {
        for _ in 0..<500 where site.funnel.pending > 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(site.funnel.pending == 0)
    }

    static func visitToken(in page: String) -> String? {
        guard let range = page.range(of: "<meta name=\"visit\" content=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    static func firstSlot(in page: String) -> String? {
        guard let range = page.range(of: "data-start=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }

    /// The form as a browser without JavaScript sends it; `pow`: the proof-of-work field.
    static func postBooking(_ site: Site, start: String, visit: String?, email: String, pow: String = "") async throws -> TestResponse {
        let token = site.site.formTokens.issue(session: CoreAnswersTests.session, now: CoreAnswersTests.suiteNow())
        var fields = "form_token=\(encoded(token))&lang=en&tz=Europe%2FMoscow&start=\(encoded(start))&name=Ann+Lee&email=\(encoded(email))"
            + "&country=US&phone=212+555+0142&consent=yes&pow=\(encoded(pow))"
        if let visit { fields += "&visit=\(encoded(visit))" }
        return try await site.client.execute(uri: "/book", method: .post,
                                             headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "bk_session=\(CoreAnswersTests.session)"],
                                             body: ByteBuffer(string: fields))
    }

    @Test func aVisitIsCountedStepByStepAndCarriedWithoutACookie() async throws {
        try await Self.withWatchedSite { site in
            let landing = try await site.client.execute(
                uri: "/?lang=en&utm_source=newsletter&utm_medium=email&utm_campaign=winter", method: .get,
                headers: [.referer: "https://News.Example.org/issue/12?reader=ann@example.com"]
            )
            #expect(landing.status == .ok)
            let page = String(buffer: landing.body)
            let token = try #require(Self.visitToken(in: page))
            let visit = try #require(site.site.visitTokens.verify(token, now: CoreAnswersTests.suiteNow()))
            #expect(visit.source == LeadSourceBody(utmSource: "newsletter", utmMedium: "email", utmCampaign: "winter", referrer: "news.example.org"))
            let cookies = landing.headers[values: .setCookie]
            #expect(!cookies.isEmpty, "the form's session cookie is set as before")
            #expect(cookies.allSatisfy { !$0.contains(visit.id) && !$0.contains(token) && !$0.lowercased().hasPrefix("visit") }, "\(cookies)")
            #expect(page.contains("visit=\(token)"), "the page’s links carry the visit (its characters need no escaping)")
            #expect(page.contains("lang=ru&amp;visit=\(token)"), "so does the language switch")

            // A second view with the link's token is the same visit: nothing new begins.
            let again = try await site.client.execute(uri: "/?lang=en&visit=\(Self.encoded(token))", method: .get) { String(buffer: $0.body) }
            #expect(Self.visitToken(in: again) == token)

            let start = try #require(Self.firstSlot(in: page))
            let form = try await site.client.execute(uri: "/book?lang=en&start=\(Self.encoded(start))&visit=\(Self.encoded(token))", method: .get) {
                ($0.status, String(buffer: $0.body), $0.headers[values: .setCookie])
            }
            #expect(form.0 == .ok)
            #expect(form.1.contains("name=\"visit\" value=\"\(escapeHTML(token))\""))
            #expect(form.2.allSatisfy { !$0.contains(visit.id) })

            let booked = try await Self.postBooking(site, start: start, visit: token, email: "ann.lee@example.com")
            #expect(booked.status == .seeOther, "\(String(buffer: booked.body))")
            let reference = try #require(booked.headers[.location]?.split(separator: "/").last?.split(separator: "?").first.map(String.init))
            try await Self.settled(site.site)

            #expect(site.watched.steps(of: visit.id) == [.viewed, .slots, .slots, .chose, .sent, .booked])
            #expect(site.watched.visitSteps.last?.reference == reference && site.watched.visitSteps.filter { $0.reference != nil }.count == 1)
            #expect(Set(site.watched.visitSteps.map(\.visit)) == [visit.id], "one visit, however many pages")
            #expect(site.watched.bookRequests.last?.source == visit.source, "the booking carries where the visit came from")

            // bookingd kept the visit: one of each step in its report's funnel, and the booking's source.
            let report = try await site.bookingd.exchange(MessageType.report, body: try WireJSON.encode(ReportRequest()))
            let funnel = try #require(CoreAnswersTests.json(String(decoding: report.body, as: UTF8.self))["funnel"] as? [String: Any])
            for step in VisitStep.allCases { #expect(funnel[step.rawValue] as? Int == 1, "\(step): \(funnel)") }
            let stored: AppointmentBody = try await site.bookingd.call(MessageType.get, ReferenceRequest(reference: reference))
            #expect(stored.source == visit.source)
        }
    }

    @Test func aTamperedOrExpiredTokenStartsANewVisit() async throws {
        try await Self.withWatchedSite { site in
            let now = CoreAnswersTests.suiteNow()
            let genuine = site.site.visitTokens.issue(Visit(id: VisitToken.newID(), issuedAt: now, source: LeadSourceBody(utmSource: "ads")))
            var parts = genuine.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            parts[2] = VisitToken.base64url(Array(#"{"utm_source":"forged"}"#.utf8))
            let tampered = parts.joined(separator: ".")
            let old = Visit(id: VisitToken.newID(), issuedAt: now.addingTimeInterval(-VisitToken.lifetime - 60), source: nil)
            let expired = site.site.visitTokens.issue(old)
            for given in [tampered, expired, "nonsense"] {
                let page = try await site.client.execute(uri: "/?lang=en&visit=\(Self.encoded(given))", method: .get) { String(buffer: $0.body) }
                let issued = try #require(Self.visitToken(in: page))
                #expect(issued != given)
                #expect(!page.contains(Self.encoded(given)) || given == "nonsense", "no link carries the refused token on")
                #expect(site.site.visitTokens.verify(issued, now: now)?.source == nil, "a forged source is not taken over")
            }
            try await Self.settled(site.site)
            let visits = Set(site.watched.visitSteps.map(\.visit))
            #expect(visits.count == 3, "each refused token began a visit of its own")
            #expect(!visits.contains(old.id) && !visits.contains(parts[0]))
            #expect(site.watched.visitSteps.filter { $0.step == .viewed }.count == 3)

            // A post with a forged token books, but counts for no visit.
            let start = try #require(Self.firstSlot(in: try await site.client.execute(uri: "/?lang=en", method: .get) { String(buffer: $0.body) }))
            try await Self.settled(site.site)
            let before = site.watched.visitSteps.count
            let booked = try await Self.postBooking(site, start: start, visit: tampered, email: "forged@example.com")
            #expect(booked.status == .seeOther)
            try await Self.settled(site.site)
            #expect(site.watched.visitSteps.count == before)
            #expect(site.watched.bookRequests.last?.source == nil)
        }
    }

    @Test func aRefusedBotIsNotCounted() async throws {
        try await Self.withWatchedSite(configure: { $0.slotLimit = WebConfiguration.BucketPolicy(capacity: 3, refillPerMinute: 0.001) }) { site in
            // Within the limit: a visit begins.
            let page = try await site.client.execute(uri: "/?lang=en", method: .get) { String(buffer: $0.body) }
            let token = try #require(Self.visitToken(in: page))
            let visit = try #require(site.site.visitTokens.verify(token, now: CoreAnswersTests.suiteNow()))
            let start = try #require(Self.firstSlot(in: page))

            // A form refused by the abuse defences is not sent: a failed proof of work, a filled honeypot.
            let unsolved = try await Self.postBooking(site, start: start, visit: token, email: "bot@example.com", pow: "1|2|3|4")
            #expect(unsolved.status == .forbidden)
            #expect(String(buffer: unsolved.body).contains("name=\"visit\" value=\"\(escapeHTML(token))\""), "a person may send it again in the same visit")

            // Over the slot queries' limit: refused pages begin no visit.
            var refused = 0
            for _ in 0..<4 {
                let response = try await site.client.execute(uri: "/?lang=en", method: .get) { ($0.status, String(buffer: $0.body)) }
                if response.0 == .tooManyRequests {
                    refused += 1
                    #expect(Self.visitToken(in: response.1) == nil)
                }
            }
            let form = try await site.client.execute(uri: "/book?lang=en&start=\(Self.encoded(start))", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(form.0 == .tooManyRequests && Self.visitToken(in: form.1) == nil)
            #expect(refused >= 2)
            try await Self.settled(site.site)
            let counted = site.watched.visitSteps
            #expect(site.watched.steps(of: visit.id) == [.viewed, .slots])
            #expect(counted.filter { $0.step == .viewed }.count == 1 + 4 - refused, "only the pages served began visits")
            #expect(!counted.contains { $0.step == .sent })
            #expect(site.watched.bookRequests.isEmpty)
        }
    }

    @Test func theAPIsSourceIsCheckedAndSentWithTheBooking() async throws {
        try await Self.withWatchedSite { site in
            func book(_ source: [String: Any], email: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let solution = try #require(ProofOfWork.solve(site.site.proofOfWork.challenge(now: CoreAnswersTests.suiteNow())))
                let body: [String: Any] = [
                    "start": "2026-12-03T12:00:00+03:00", "consent": true, "locale": "en", "source": source,
                    "contact": ["name": "Ann Lee", "email": email, "phone": "+12125550142"],
                    "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
                ]
                return try await site.client.execute(uri: "/api/v1/bookings", method: .post, headers: [.contentType: "application/json"],
                                                     body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))) {
                    ($0.status, CoreAnswersTests.json(String(buffer: $0.body)))
                }
            }
            let unknown = try await book(["utm_source": "x", "utm_term": "y"], email: "a@example.com")
            #expect(unknown.0 == .unprocessableContent && unknown.1["field"] as? String == "source.utm_term", "\(unknown.1)")
            let path = try await book(["referrer": "https://partner.example/page"], email: "a@example.com")
            #expect(path.0 == .unprocessableContent && path.1["field"] as? String == "source.referrer", "\(path.1)")
            let long = try await book(["utm_campaign": String(repeating: "c", count: LeadSource.maximumCharacters + 1)], email: "a@example.com")
            #expect(long.0 == .unprocessableContent && long.1["field"] as? String == "source.utm_campaign")
            #expect(site.watched.bookRequests.isEmpty, "nothing refused reaches bookingd")

            let good = try await book(["utm_source": " partner ", "utm_medium": "", "referrer": "Partner.Example"], email: "a@example.com")
            #expect(good.0 == .created, "\(good.1)")
            #expect(site.watched.bookRequests.last?.source == LeadSourceBody(utmSource: "partner", referrer: "partner.example"))
            try await Self.settled(site.site)
            #expect(site.watched.visitSteps.isEmpty, "the API has no visits")
        }
    }

    @Test func onlyAnotherSitesHostAndSoundParametersAreKept() async throws {
        try await Self.withWatchedSite { site in
            func source(_ uri: String, referer: String?) async throws -> LeadSourceBody? {
                var headers: HTTPFields = [:]
                if let referer { headers[.referer] = referer }
                let page = try await site.client.execute(uri: uri, method: .get, headers: headers) { String(buffer: $0.body) }
                return site.site.visitTokens.verify(Self.visitToken(in: page), now: CoreAnswersTests.suiteNow())?.source
            }
            #expect(try await source("/", referer: "http://127.0.0.1:8080/manage") == nil, "webd's own address (web.public_url)")
            #expect(try await source("/", referer: "android-app://com.example.mail/") == nil)
            let long = String(repeating: "m", count: LeadSource.maximumCharacters + 1)
            let kept = try await source("/?utm_source=ok&utm_medium=\(long)&utm_campaign=%07bell", referer: "https://user:pw@Search.Example:8443/?q=lawyer")
            #expect(kept == LeadSourceBody(utmSource: "ok", referrer: "search.example"), "a bad value is dropped alone")
        }
    }
}

/// What a `wrapping` closure made, for the test body to read.
final class WatchedServicesSlot: Sendable {
    private let box = NIOLockedValueBox<WatchedServices?>(nil)
    func set(_ services: WatchedServices) -> WatchedServices {
        box.withLockedValue { $0 = services }
        return services
    }
    func get() -> WatchedServices? { box.withLockedValue { $0 } }
}
