import BookingProtocol
import Foundation
import LoopbackServers
import Testing
import WebFrontend

/// Hold-then-confirm through the real daemons, webd over HTTP and a real SMTP server: the
/// "please confirm" email's link confirms (by the POST its page makes), and the confirmation
/// follows; unconfirmed, the hold is released, the slot is offered again and the client told.
@Suite(.serialized) struct HoldFlowTests {
    static func suite(_ servers: NotificationTests.Servers, holdMinutes: String) async throws -> SuiteProcess {
        let suite = try NotificationTests.suite(
            servers, extra: "bookings: {confirmation: 'on', hold_minutes: \(holdMinutes)}\nweb:\n  proof_of_work: {difficulty: 1}\n")
        try await suite.start()
        return suite
    }

    /// The first free slot, booked through the API with a solved proof of work: its reference and start.
    static func book(_ web: String) async throws -> (reference: String, start: String) {
        let slots = try await OneCalendarEntryTests.http("GET", web + "/api/v1/slots?days=14")
        let start = try #require((slots.json["slots"] as? [[String: Any]])?.first?["start"] as? String)
        let challengeReply = try await OneCalendarEntryTests.http("GET", web + "/api/v1/challenge")
        let challenge = try WireJSON.decode(ProofOfWorkChallenge.self, from: Array(challengeReply.body))
        let solution = try #require(ProofOfWork.solve(challenge))
        let booked = try await OneCalendarEntryTests.http("POST", web + "/api/v1/bookings", json: [
            "start": start, "consent": true, "locale": "en",
            "contact": ["name": "Hold Client", "email": "hold.client@example.com", "phone": "+79161234567"],
            "proof_of_work": ["challenge": solution.challenge, "salt": solution.salt, "signature": solution.signature, "number": solution.number],
        ])
        #expect(booked.status == 201 && booked.json["status"] as? String == "scheduled", "\(String(decoding: booked.body, as: UTF8.self))")
        return (try #require(booked.json["reference"] as? String), start)
    }

    static func purposes(_ summaries: [[String: Any]]) -> [String] {
        summaries.compactMap { ($0["message_id"] as? String)?.split(separator: ".").dropFirst().first.map(String.init) }.sorted()
    }

    @Test func theEmailsLinkConfirmsAndTheConfirmationFollows() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let suite = try await Self.suite(servers, holdMinutes: "30")
        defer { suite.tearDown() }
        let (reference, _) = try await Self.book(suite.webURL)

        let first = try NotificationTests.summaries(try await servers.smtp.waitForMessages(count: 1, timeout: .seconds(30)), in: servers.smtp)
        #expect(Self.purposes(first) == ["client-confirm-request"])
        let text = try #require(first.first?["text"] as? String)
        let link = try #require(text.firstMatch(of: /https:\/\/book\.example\.com\/manage\/(BK-[0-9A-Z-]+)\/confirm\?token=([0-9a-f]{32})/))
        #expect(String(link.output.1) == reference)
        // The link's page (as a mail scanner would fetch it) confirms nothing; its POST does.
        let page = try await OneCalendarEntryTests.http("GET", suite.webURL + "/manage/\(reference)/confirm?token=\(link.output.2)")
        #expect(page.status == 200)
        #expect(try await OneCalendarEntryTests.http("GET", suite.webURL + "/api/v1/bookings/\(reference)").json["status"] as? String == "scheduled")
        let confirmed = try await OneCalendarEntryTests.http("POST", suite.webURL + "/api/v1/bookings/\(reference)/confirm", json: ["token": String(link.output.2)])
        #expect(confirmed.status == 200 && confirmed.json["status"] as? String == "confirmed")

        let all = try NotificationTests.summaries(try await servers.smtp.waitForMessages(count: 3, timeout: .seconds(30)), in: servers.smtp)
        #expect(Self.purposes(all) == ["client-confirm-request", "client-confirmation", "consultant-created"])
    }

    @Test func anUnconfirmedHoldIsReleasedOfferedAgainAndToldToItsClient() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let suite = try await Self.suite(servers, holdMinutes: "0.05")
        defer { suite.tearDown() }
        let (reference, start) = try await Self.book(suite.webURL)
        let mails = try NotificationTests.summaries(try await servers.smtp.waitForMessages(count: 2, timeout: .seconds(30)), in: servers.smtp)
        #expect(Self.purposes(mails) == ["client-confirm-request", "client-hold-released"])
        #expect(try await OneCalendarEntryTests.http("GET", suite.webURL + "/api/v1/bookings/\(reference)").json["status"] as? String == "cancelled")
        let history = try suite.bookctl(["history", reference])
        #expect(history.stdout.contains("released"), "\(history.stdout)")
        var offered = false
        for _ in 0..<100 where !offered {
            let slots = try await OneCalendarEntryTests.http("GET", suite.webURL + "/api/v1/slots?days=14")
            offered = (slots.json["slots"] as? [[String: Any]])?.contains { $0["start"] as? String == start } == true
            if !offered { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(offered, "the released slot is offered again")
    }
}
