import BookingDomain
import BookingProtocol
import DaemonKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import WebFrontend

/// `GET /feeds/<token>.ics` over HTTP, the site in front of bookingd's and availabilityd's
/// libraries in this process (`CoreAnswersTests.withSuiteAndSite`: jane@example.com holds two
/// bookings), the tokens as an admin gets them from bookingd.
@Suite(.serialized) struct FeedRouteTests {
    struct Fetched {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String
        /// Content lines, unfolded.
        var lines: [String] { body.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n") }
    }

    static func fetch(_ client: any TestClientProtocol, _ uri: String) async throws -> Fetched {
        try await client.execute(uri: uri, method: .get) { Fetched(status: $0.status, headers: $0.headers, body: String(buffer: $0.body)) }
    }

    static func state(_ bookingd: DaemonClient, _ type: String, _ scope: String) async throws -> FeedStateReply {
        try await bookingd.call(type, FeedScopeRequest(scope: scope))
    }

    @Test func aFeedIsACalendarOfTheScopesBookingsWithNothingOfTheClient() async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, client, recorder, bookingd in
            let listed: ListReply = try await bookingd.call(MessageType.list, ListRequest())
            let jane = listed.appointments
            let team = try await Self.state(bookingd, MessageType.feedShow, "team")
            let fetched = try await Self.fetch(client, "/feeds/\(try #require(team.token)).ics")
            #expect(fetched.status == .ok, "\(fetched.body)")
            #expect(fetched.headers[.contentType] == "text/calendar; charset=utf-8")
            #expect(fetched.headers[.cacheControl] == "private, max-age=300")
            #expect(fetched.headers[.setCookie] == nil, "a calendar application gets no session")
            #expect(fetched.lines.filter { $0.hasPrefix("UID:") } == jane.map { "UID:\($0.id)" }, "the invites' UIDs, by start")
            #expect(fetched.lines.contains("METHOD:PUBLISH") && fetched.lines.contains("REFRESH-INTERVAL;VALUE=DURATION:PT15M"))
            #expect(fetched.lines.contains("X-WR-CALNAME:Консультации: вся команда"), "the team's feed speaks the suite's language")
            #expect(fetched.lines.contains("SUMMARY:Консультация — Consultant \(jane[0].consultantId)"), "the team's events name their consultant")
            let unfolded = fetched.lines.joined(separator: "\n")
            for appointment in jane {
                #expect(unfolded.contains(BookingReference.masked(appointment.reference)))
                #expect(!unfolded.contains(appointment.reference), "never the whole reference")
            }
            for personal in ["Jane", "jane@", "+12125550199", "/manage/"] {
                #expect(!unfolded.contains(personal), "\(personal)")
            }
            let logged = recorder.entries.compactMap { $0.metadata["path"].map { "\($0)" } }
            #expect(logged.contains("/feeds/****") && !logged.contains { $0.contains(team.token ?? "-") }, "\(logged)")

            let anna = try await Self.state(bookingd, MessageType.feedShow, "anna")
            let annas = try await Self.fetch(client, "/feeds/\(try #require(anna.token)).ics")
            #expect(annas.lines.filter { $0.hasPrefix("UID:") } == jane.filter { $0.consultantId == "anna" }.map { "UID:\($0.id)" })
            #expect(annas.lines.contains("X-WR-CALNAME:Консультации: Consultant anna"))
            #expect(annas.lines.contains("SUMMARY:Консультация"))
        }
    }

    @Test func atFullDetailTheFeedAlsoShowsTheClientsNameAndPhone() async throws {
        try await CoreAnswersTests.withSuiteAndSite { site, client, _, bookingd in
            var configuration = site.configuration
            configuration.feedDetail = .full
            try site.apply(configuration)
            let team = try await Self.state(bookingd, MessageType.feedShow, "team")
            let fetched = try await Self.fetch(client, "/feeds/\(try #require(team.token)).ics")
            #expect(fetched.status == .ok)
            #expect(fetched.lines.joined().contains("Клиент: Jane Doe\\, +12125550199"), "\(fetched.body)")
            #expect(fetched.lines.contains { $0.hasPrefix("SUMMARY:Консультация: Jane Doe — ") })
            #expect(!fetched.lines.joined().contains("jane@example.com"), "never the email")
        }
    }

    @Test func aRoomOfTheBookingsOwnIsSaidToBeInTheEmailNotLinked() async throws {
        try await CoreAnswersTests.withSuiteAndSite(extra: "meeting:\n  format: video\n  link: \"https://meet.example.com/{reference}\"\n") {
            _, client, _, bookingd in
            let listed: ListReply = try await bookingd.call(MessageType.list, ListRequest())
            let team = try await Self.state(bookingd, MessageType.feedShow, "team")
            let fetched = try await Self.fetch(client, "/feeds/\(try #require(team.token)).ics")
            #expect(fetched.status == .ok)
            let unfolded = fetched.lines.joined(separator: "\n")
            #expect(unfolded.components(separatedBy: "ссылка на комнату — в письме о записи").count == listed.appointments.count + 1, "\(unfolded)")
            #expect(!unfolded.contains("meet.example.com") && !fetched.lines.contains { $0.hasPrefix("CONFERENCE") || $0.hasPrefix("URL") })
        }
    }

    @Test func aRotatedAwayARevokedAndAForgedAddressAnswer404() async throws {
        try await CoreAnswersTests.withSuiteAndSite { _, client, _, bookingd in
            let first = try #require(try await Self.state(bookingd, MessageType.feedShow, "anna").token)
            #expect(try await Self.fetch(client, "/feeds/\(first).ics").status == .ok)
            let rotated = try #require(try await Self.state(bookingd, MessageType.feedRotate, "anna").token)
            let old = try await Self.fetch(client, "/feeds/\(first).ics")
            #expect(old.status == .notFound && old.body == "no such feed\n" && old.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(try await Self.fetch(client, "/feeds/\(rotated).ics").status == .ok)

            let revoked = try await Self.state(bookingd, MessageType.feedRevoke, "anna")
            #expect(revoked.revoked && revoked.token == nil)
            #expect(try await Self.fetch(client, "/feeds/\(rotated).ics").status == .notFound)

            let forged = "anna.2." + String(repeating: "f", count: 32)
            for uri in ["/feeds/\(forged).ics", "/feeds/anna.2.xyz.ics", "/feeds/\(rotated)", "/feeds/\(rotated).txt", "/feeds/.ics",
                        "/feeds/\(String(repeating: "a", count: 300)).ics"] {
                let answer = try await Self.fetch(client, uri)
                #expect(answer.status == .notFound && answer.body == "no such feed\n", "\(uri)")
            }
            let served = try #require(try await Self.state(bookingd, MessageType.feedRotate, "anna").token)
            #expect(try await Self.fetch(client, "/feeds/\(served).ics").status == .ok, "a rotation serves the feed again")
        }
    }
}
