import Foundation
import LoopbackServers
import Testing

/// What clients, consultants and the team read when an admin takes a consultant's day away or
/// blocks a day: the real daemons, a real mail server, the rendered emails read by Python.
@Suite(.serialized) struct ConsultantNoticeTests {
    func book(_ suite: SuiteProcess, _ start: String, consultant: String, _ n: Int) throws -> String {
        let run = try suite.bookctl([
            "book", "--start", start, "--consultant", consultant, "--name", "Клиент \(n)", "--email", "client\(n)@example.com",
            "--phone", "+7 916 000-00-\(String(format: "%02d", n))", "--locale", "ru",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Everything a client, a consultant or the team could read: subjects, texts, HTML, SMS, @chat.
    static func everythingRead(_ summaries: [[String: Any]], _ requests: [ReceivedRequest]) -> [String] {
        summaries.flatMap { [$0["subject"], $0["text"], $0["html"]].compactMap { $0 as? String } }
            + requests.map { String(decoding: $0.body, as: UTF8.self) }
    }

    /// "The consultant is away: болеет" once reached a client. Now: what a colleague free at the
    /// same time can take is moved to them (the client hears the consultant changed, the old
    /// consultant's calendar loses the event, the new one gets a booking in their own language),
    /// the rest is cancelled with a neutral apology, and the reason stays in the history.
    @Test func forcedTimeOffMovesWhatAColleagueCanTakeCancelsTheRestAndKeepsTheReasonInternal() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let (smtp, http, suite) = (servers.smtp, servers.http, try NotificationTests.suite(servers))
        defer { suite.tearDown() }
        try await suite.start()

        let edited = try suite.bookctl(["consultants", "edit", "boris", "--locale", "en", "--name", "Boris Kuznetsov"])
        #expect(edited.status == 0, "\(edited.stderr)")
        let movable = try book(suite, "2026-12-03T12:00", consultant: "anna", 1)
        let stuck = try book(suite, "2026-12-03T13:00", consultant: "anna", 2)
        _ = try book(suite, "2026-12-03T13:00", consultant: "boris", 3)
        _ = try await smtp.waitForMessages(count: 6, timeout: .seconds(30))

        let forced = try suite.bookctl(["consultants", "time-off", "anna", "2026-12-03", "--reason", "болеет", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("moved \(movable) to boris"), "\(forced.stdout)")
        #expect(forced.stdout.contains("cancelled \(stuck) (no colleague free then)"), "\(forced.stdout)")

        // The move: client, released anna, booked boris; the cancellation: client and anna.
        let mails = try await smtp.waitForMessages(count: 11, timeout: .seconds(30))
        // SMS: three confirmations, the change, the cancellation; @chat the same five.
        let requests = try await http.waitForRequests(count: 10, timeout: .seconds(30))
        let summaries = try NotificationTests.summaries(mails, in: smtp)
        func message(_ purpose: String, to address: String) throws -> [String: Any] {
            let found = summaries.filter { ($0["message_id"] as? String)?.contains(".\(purpose).email@") == true && ($0["to"] as? String)?.contains(address) == true }
            return try #require(found.count == 1 ? found.first : nil, "one \(purpose) to \(address) among \(summaries.map { $0["message_id"] ?? "" })")
        }

        let client = try message("client-consultant-changed", to: "client1@example.com")
        #expect((client["subject"] as? String)?.contains("проведёт Boris Kuznetsov") == true, "\(client["subject"] ?? "")")
        let clientText = try #require(client["text"] as? String)
        #expect(clientText.contains("Время вашей консультации не меняется"))
        #expect(!clientText.contains("перенес"), "never 'moved' at an unchanged time: \(clientText)")
        let clientInvite = try #require(client["invite"] as? [String: Any])
        #expect(clientInvite["method"] as? String == "REQUEST")

        let released = try message("consultant-released", to: "anna@example.com")
        let releasedInvite = try #require(released["invite"] as? [String: Any])
        let annaInvites = summaries.filter { ($0["to"] as? String)?.contains("anna@example.com") == true && $0["reference"] as? String == movable }
        #expect(annaInvites.count == 2)
        #expect(releasedInvite["method"] as? String == "CANCEL" && releasedInvite["content_method"] as? String == "CANCEL")
        #expect(releasedInvite["status"] as? String == "CANCELLED")
        #expect(releasedInvite["uid"] as? String == clientInvite["uid"] as? String, "the same event as the client's")
        #expect(releasedInvite["start"] as? String == "2026-12-03T09:00:00+00:00")
        let annaSequences = annaInvites.compactMap { ($0["invite"] as? [String: Any])?["sequence"] as? Int }
        let earlier = try #require(annaSequences.min())
        #expect((releasedInvite["sequence"] as? Int ?? 0) > earlier, "a higher SEQUENCE removes it")

        let boris = try #require(summaries.first {
            ($0["message_id"] as? String)?.contains(".consultant-created.email@") == true && ($0["to"] as? String)?.contains("boris@example.com") == true
                && $0["reference"] as? String == movable
        })
        #expect((boris["text"] as? String)?.hasPrefix("Boris Kuznetsov, a client has booked a consultation with you.") == true, "his own language: \(boris["text"] ?? "")")
        #expect((boris["invite"] as? [String: Any])?["method"] as? String == "REQUEST")

        let cancelled = try message("client-cancelled", to: "client2@example.com")
        #expect((cancelled["text"] as? String)?.contains("К сожалению, нам пришлось отменить вашу консультацию.") == true, "\(cancelled["text"] ?? "")")

        // Nothing anyone outside the admins reads carries the internal reason.
        for text in Self.everythingRead(summaries, requests) {
            #expect(!text.contains("болеет") && !text.contains("away"), "the internal reason leaked: \(text)")
        }
        let history = try suite.bookctl(["history", stuck])
        #expect(history.stdout.contains("болеет"), "admins still see why: \(history.stdout)")

        // A block with a message chosen for clients: they read that message, not the reason.
        let fourth = try book(suite, "2026-12-04T11:00", consultant: "boris", 4)
        _ = try await smtp.waitForMessages(count: 13, timeout: .seconds(30))
        let blocked = try suite.bookctl(["block", "2026-12-04", "--reason", "дезинсекция", "--force", "--client-message", "Офис закрыт в этот день."])
        #expect(blocked.status == 0, "\(blocked.stderr)")
        #expect(blocked.stdout.contains("cancelled \(fourth)"))
        let all = try await smtp.waitForMessages(count: 15, timeout: .seconds(30))
        let told = try #require(try NotificationTests.summaries(all, in: smtp).first {
            ($0["message_id"] as? String)?.contains(".client-cancelled.email@") == true && ($0["to"] as? String)?.contains("client4@example.com") == true
        })
        #expect((told["text"] as? String)?.contains("Причина: Офис закрыт в этот день.") == true, "\(told["text"] ?? "")")
        let chat = try await http.waitForRequests(count: 14, timeout: .seconds(30))
        for text in Self.everythingRead(try NotificationTests.summaries(all, in: smtp), chat) {
            #expect(!text.contains("дезинсекция"), "the internal reason leaked: \(text)")
        }
    }
}
