import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import LoopbackServers
import Testing

/// notifyd against real servers on loopback: an aiosmtpd mail server, an HTTP server standing
/// in for the SMS gateway and the @chat webhook.
@Suite(.serialized) struct NotificationTests {
    static let webhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The notifications section for a test: SMTP on `smtpPort`, SMS and @chat over HTTP; the
    /// secrets are files beside the configuration.
    static func notifications(smtpPort: Int, httpPort: Int) -> String {
        """
            notifications:
              templates: \(SuiteProcess.repositoryRoot)/config/templates
              sender: {name: "Консультации Example", address: booking@example.com}
              manage_url: "https://book.example.com/manage/{reference}"
              email:
                transport: smtp
                smtp: {host: 127.0.0.1, port: \(smtpPort), security: none, timeout_seconds: 5, connections: 4}
              sms:
                enabled: true
                transport: http
                http:
                  url: "http://127.0.0.1:\(httpPort)/sms"
                  headers: {Authorization: "Bearer {api_key}"}
                  api_key_file: sms-api-key
                  fields: {to: "{phone}", text: "{text}"}
              chat:
                enabled: true
                transport: webhook
                webhook: {url: "http://127.0.0.1:\(httpPort)/chat", secret_file: webhook-secret}
              retry: {initial_seconds: 1, max_seconds: 2, give_up_hours: 1}
            """
    }

    /// The mail server and the HTTP server (SMS gateway and @chat webhook) of one test.
    struct Servers {
        let smtp: LoopbackSMTPServer
        let http: LoopbackHTTPServer

        init(smtpOptions: [String] = []) throws {
            smtp = try LoopbackSMTPServer(options: smtpOptions)
            http = try LoopbackHTTPServer(options: [])
        }

        func stop() {
            smtp.stop()
            http.stop()
        }
    }

    /// `extra`: more top-level YAML (e.g. a `meeting:` section).
    static func suite(_ servers: Servers, extra: String = "") throws -> SuiteProcess {
        var options = SuiteProcess.Options()
        options.extra = extra
        options.notifications = notifications(smtpPort: servers.smtp.port, httpPort: servers.http.port)
        let suite = try SuiteProcess(options)
        try webhookSecret.write(toFile: suite.directory + "/webhook-secret", atomically: true, encoding: .utf8)
        try "test-api-key\n".write(toFile: suite.directory + "/sms-api-key", atomically: true, encoding: .utf8)
        return suite
    }

    func book(_ suite: SuiteProcess, _ start: String, _ n: Int, locale: String = "ru") throws -> String {
        let booked = try #require(try suite.bookctlJSON([
            "book", "--start", start + ":00+03:00", "--name", "Клиент \(n)", "--email", "client\(n)@example.com", "--phone", "+7 916 000-00-\(String(format: "%02d", n % 100))",
            "--locale", locale, "--tz", "Asia/Tokyo",
        ]) as? [String: Any])
        return try #require(booked["reference"] as? String)
    }

    static func summaries(_ mails: [ReceivedMail], in smtp: LoopbackSMTPServer) throws -> [[String: Any]] {
        let paths = mails.map { smtp.directory + "/\($0.number).eml" }
        let run = try SuiteProcess.run("/usr/bin/python3", [SuiteProcess.repositoryRoot + "/Tests/EndToEndTests/support/mail_summary.py"] + paths)
        guard run.status == 0 else { throw SuiteFailure("mail_summary.py: \(run.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []
    }

    @Test func everyChangeReachesTheClientTheConsultantAndTheTeam() async throws {
        let servers = try Servers()
        defer { servers.stop() }
        let (smtp, http, suite) = (servers.smtp, servers.http, try Self.suite(servers))
        defer { suite.tearDown() }
        try await suite.start()

        let reference = try book(suite, "2026-12-02T11:00", 1)
        #expect(try suite.bookctl(["reschedule", reference, "--start", "2026-12-03T15:30"]).status == 0)
        #expect(try suite.bookctl(["cancel", reference, "--reason", "planы изменились",
                                   "--client-message", "Офис закрыт @channel [подробнее](https://evil.example)"]).status == 0)

        // Client and consultant: three emails each; the client three SMS; the team three posts.
        let mails = try await smtp.waitForMessages(count: 6, timeout: .seconds(30))
        let requests = try await http.waitForRequests(count: 6, timeout: .seconds(30))
        let summaries = try Self.summaries(mails, in: smtp)
        let client = summaries.filter { ($0["to"] as? String)?.contains("client1@example.com") == true }
        #expect(client.count == 3)
        #expect(Set(summaries.compactMap { $0["message_id"] as? String }).count == 6, "one Message-ID per notification")
        for summary in summaries {
            #expect(summary["reference"] as? String == reference)
            let parts = summary["parts"] as? [String] ?? []
            #expect(parts.contains("text/plain") && parts.contains("text/html") && parts.contains("text/calendar"), "\(parts)")
            #expect((summary["from"] as? String)?.contains("Консультации Example") == true, "RFC 2047 name decoded: \(summary["from"] ?? "")")
        }
        // The invite: one UID for the appointment, SEQUENCE growing, CANCEL at the end; times
        // are the appointment's (Moscow 11:00 = 08:00 UTC, then 15:30 = 12:30 UTC).
        let invites = client.compactMap { $0["invite"] as? [String: Any] }
        #expect(invites.count == 3)
        #expect(Set(invites.compactMap { $0["uid"] as? String }).count == 1)
        let sequences = invites.compactMap { $0["sequence"] as? Int }
        #expect(sequences == sequences.sorted() && Set(sequences).count == 3, "\(sequences)")
        #expect(invites.map { $0["method"] as? String } == ["REQUEST", "REQUEST", "CANCEL"])
        #expect(invites.map { $0["content_method"] as? String } == ["REQUEST", "REQUEST", "CANCEL"])
        #expect(invites[0]["start"] as? String == "2026-12-02T08:00:00+00:00")
        #expect(invites[1]["start"] as? String == "2026-12-03T12:30:00+00:00")
        // The client's text shows the time in their zone (Tokyo: 11:00 MSK = 17:00 JST).
        #expect((client[0]["text"] as? String)?.contains("17:00") == true, "\(client[0]["text"] ?? "")")
        #expect((client[0]["text"] as? String)?.contains(reference) == true)

        let sms = requests.filter { $0.path == "/sms" }
        #expect(sms.count == 3)
        #expect(sms.allSatisfy { $0.header("Authorization") == "Bearer test-api-key" })
        let smsBody = try #require(try JSONSerialization.jsonObject(with: Data(sms[0].body)) as? [String: String])
        #expect(smsBody["to"] == "+79160000001")
        #expect(smsBody["text"]?.contains(reference) == true)

        let chat = requests.filter { $0.path == "/chat" }
        #expect(chat.count == 3)
        // What the client was told reaches the team as text: no mention, no link (markdown).
        let cancelled = try #require(chat.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: String])?["text"] }
            .first { $0.contains("Офис закрыт") })
        #expect(cancelled.contains(#"Офис закрыт @\#u{2060}channel \[подробнее\](https\://evil.example)"#), "\(cancelled)")
        for post in chat {
            let text = try #require((try JSONSerialization.jsonObject(with: Data(post.body)) as? [String: String])?["text"])
            #expect(!text.contains("client1@example.com") && !text.contains("+79160000001"), "contact masked: \(text)")
            // The reference too: with it anyone reading the chat could change the booking.
            #expect(!text.contains(reference) && text.contains(BookingReference.masked(reference).replacingOccurrences(of: "*", with: "\\*")), "reference masked: \(text)")
            // Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with the secret's bytes,
            // checked here with Python's hmac, not with our own code.
            let check = try SuiteProcess.run("/usr/bin/python3", ["-c", """
                import base64, hashlib, hmac, sys
                secret = base64.b64decode(sys.argv[1].removeprefix("whsec_"))
                body = base64.b64decode(sys.argv[4])
                expected = base64.b64encode(hmac.new(secret, f"{sys.argv[2]}.{sys.argv[3]}.".encode() + body, hashlib.sha256).digest()).decode()
                print("ok" if f"v1,{expected}" in sys.argv[5].split(" ") else "bad")
                """, Self.webhookSecret, post.header("webhook-id") ?? "", post.header("webhook-timestamp") ?? "",
                Data(post.body).base64EncodedString(), post.header("webhook-signature") ?? ""])
            #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(check.stdout)\(check.stderr)")
        }

        // What bookctl shows for the appointment: every message, sent.
        let shown = try #require(try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]])
        #expect(shown.count == 12)
        #expect(shown.allSatisfy { $0["state"] as? String == "sent" })
        #expect(shown.allSatisfy { ($0["recipient"] as? String)?.contains("client1@") != true }, "recipients masked")
        #expect(!suite.log("notifyd").contains("client1@example.com"), "no contact data in the log")
    }

    @Test func aMailServerThatSaysTryLaterGetsTheMessageOnce() async throws {
        let servers = try Servers(smtpOptions: ["--fail-first", "2", "--fail-code", "451"])
        defer { servers.stop() }
        let (smtp, _, suite) = (servers.smtp, servers.http, try Self.suite(servers))
        defer { suite.tearDown() }
        try await suite.start()

        let reference = try book(suite, "2026-12-02T11:00", 2)
        let mails = try await smtp.waitForMessages(count: 2, timeout: .seconds(30))
        #expect(Set(mails.map(\.messageID)).count == 2)
        try await eventually {
            let rows = try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]] ?? []
            return rows.filter { $0["channel"] as? String == "email" }.allSatisfy { $0["state"] as? String == "sent" }
        }
        let rows = try #require(try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]])
        let retried = rows.filter { ($0["attempts"] as? Int ?? 0) > 1 }
        #expect(!retried.isEmpty)
        #expect(retried.allSatisfy { (($0["history"] as? [[String: Any]])?.first?["error"] as? String)?.contains("451") == true })
        // Nothing more arrives: each message once.
        try await Task.sleep(for: .seconds(2))
        #expect(smtp.messages.count == 2)
    }

    @Test func aRejectedMessageIsADeadLetterAndCanBeSentAgain() async throws {
        let servers = try Servers(smtpOptions: ["--reject", "550"])
        defer { servers.stop() }
        let suite = try Self.suite(servers)
        defer { suite.tearDown() }
        try await suite.start()

        let reference = try book(suite, "2026-12-02T11:00", 3)
        var dead: [[String: Any]] = []
        try await eventually {
            dead = try suite.bookctlJSON(["notifications", "--failed"]) as? [[String: Any]] ?? []
            return dead.count == 2
        }
        #expect(dead.allSatisfy { $0["attempts"] as? Int == 1 && ($0["lastError"] as? String)?.contains("550") == true }, "no retry of a 550: \(dead)")
        #expect(dead.allSatisfy { $0["reference"] as? String == reference })
        let table = try suite.bookctl(["notifications", "--failed"])
        #expect(table.stdout.contains("failed"))
        let status = try #require(try suite.bookctlJSON(["status"]) as? [[String: Any]])
        #expect((status.first { $0["daemon"] as? String == "notifyd" }?["warnings"] as? [String])?.first?.contains("2 dead letters") == true)
        // Not healthy while dead letters exist, and it names them.
        let health = try suite.bookctl(["health"])
        #expect(health.status == 1, "\(health.stdout)")
        #expect(health.stderr.contains("dead letter \(reference) client-confirmation to c***@example.com"), "\(health.stderr)")
        #expect(health.stderr.contains("dead letter \(reference) consultant-created to"), "\(health.stderr)")

        let id = try #require(dead.first?["id"] as? String)
        let retry = try suite.bookctl(["notifications", "retry", id])
        #expect(retry.status == 0, "\(retry.stderr)")
        try await eventually {
            let rows = try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]] ?? []
            return (rows.first { $0["id"] as? String == id }?["attempts"] as? Int) == 2
        }
        let missing = try suite.bookctl(["notifications", "retry", "no-such-id"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no notification has the id"))
        let bad = try suite.bookctl(["notifications", "BK-NOT-A-REF"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("invalid_reference"))
    }

    @Test func killedInTheMiddleOfABurstItDeliversEverythingOnce() async throws {
        let servers = try Servers()
        defer { servers.stop() }
        let (smtp, _, suite) = (servers.smtp, servers.http, try Self.suite(servers))
        defer { suite.tearDown() }
        try await suite.start()

        let client = try await suite.client("bookingd", timeout: .seconds(10), attempts: 3)
        defer { Task { await client.close() } }
        let slots = try burstSlots(count: 200)
        let booked = try await withThrowingTaskGroup(of: String.self) { group in
            for (n, start) in slots.enumerated() {
                group.addTask {
                    let reply: AppointmentBody = try await client.call(
                        MessageType.book, BookRequest(start: start, contact: contact(n), locale: n % 2 == 0 ? "ru" : "en"),
                        idempotencyKey: "burst-\(n)"
                    )
                    return reply.reference
                }
                if n == 80 {
                    // In the middle of the burst, with messages on their way: no goodbye.
                    try await Task.sleep(for: .milliseconds(100))
                    suite.kill9("notifyd")
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(booked.count == 200)
        try await suite.start("notifyd")

        // Two emails per booking (client and consultant), every one delivered.
        try await eventually(.seconds(120)) { Set(smtp.messages.map(\.messageID)).count >= 400 }
        try await Task.sleep(for: .seconds(1))
        let ids = smtp.messages.map(\.messageID)
        let unique = Set(ids)
        #expect(unique.count == 400)
        // A message being sent at the kill is sent again (SMTP cannot say whether it arrived);
        // notifyd counts those, and only those may arrive twice.
        let duplicates = ids.count - unique.count
        let inDoubt = suite.log("notifyd").components(separatedBy: "deliveries were being sent when notifyd stopped").count - 1
        #expect(duplicates == 0 || inDoubt > 0, "\(duplicates) duplicates without a crash in flight")
        #expect(duplicates <= 16, "at most the messages in flight: \(duplicates)")
    }

    @Test func downWhileBookingsHappenItCatchesUpOnStart() async throws {
        let servers = try Servers()
        defer { servers.stop() }
        let (smtp, _, suite) = (servers.smtp, servers.http, try Self.suite(servers))
        defer { suite.tearDown() }
        try await suite.start()
        suite.terminate("notifyd")

        for n in 0..<5 { _ = try book(suite, "2026-12-0\(2 + n / 2)T1\(n % 2):00", 10 + n) }
        #expect(smtp.messages.isEmpty)
        try await suite.start("notifyd")
        let mails = try await smtp.waitForMessages(count: 10, timeout: .seconds(30))
        #expect(Set(mails.map(\.messageID)).count == 10)
    }

    @Test func remindersGoOnceAtTheLeadMoveWithARescheduleAndStopAtACancellation() async throws {
        let servers = try Servers()
        defer { servers.stop() }
        let (smtp, http, suite) = (servers.smtp, servers.http, try Self.suite(servers))
        defer { suite.tearDown() }
        try await suite.start()

        // The clock reads 2026-12-01 07:58 MSK.
        let kept = try book(suite, "2026-12-03T10:00", 20)
        let moved = try book(suite, "2026-12-03T11:00", 21)
        let cancelled = try book(suite, "2026-12-03T12:00", 22)
        let soon = try book(suite, "2026-12-01T12:00", 23)   // inside the 24-hour lead: no reminder
        #expect(try suite.bookctl(["reschedule", moved, "--start", "2026-12-04T11:00"]).status == 0)
        #expect(try suite.bookctl(["cancel", cancelled]).status == 0)
        _ = try await smtp.waitForMessages(count: 12, timeout: .seconds(30))

        // notifyd is down over the day before; it starts again with the clock at 2026-12-02
        // 10:30 MSK, after the first reminder was due: it catches up at once.
        suite.terminate("notifyd")
        let later = suite.directory + "/later.yaml"
        try String(contentsOfFile: suite.configPath, encoding: .utf8)
            .replacingOccurrences(of: "start: \"2026-12-01T07:58:00+03:00\"", with: "start: \"2026-12-02T10:30:00+03:00\"")
            .write(toFile: later, atomically: true, encoding: .utf8)
        try await suite.start("notifyd", config: later)

        try await eventually(.seconds(30)) {
            let shown = try suite.bookctlJSON(["show", kept]) as? [String: Any]
            return shown?["reminderSent"] as? Bool == true
        }
        let reminders = smtp.messages.filter { $0.messageID?.contains("<reminder.") == true && $0.header("X-Booking-Purpose") == "client-reminder" }
        #expect(reminders.count == 1, "one reminder, for \(kept)")
        #expect(reminders.first?.header("X-Booking-Reference") == kept)
        // Its consultant gets one too, with the links that mark the consultation.
        let consultant = smtp.messages.filter { $0.header("X-Booking-Purpose") == "consultant-reminder" }
        #expect(consultant.count == 1 && consultant.first?.header("X-Booking-Reference") == kept)
        let text = String(decoding: consultant.first?.bytes ?? [], as: UTF8.self)
        #expect(text.contains("/outcome?outcome=3Dattended") || text.contains("/outcome?outcome=attended"), "\(text.prefix(3000))")
        let sms = http.requests.filter { $0.path == "/sms" && String(decoding: $0.body, as: UTF8.self).contains(kept) }
        #expect(sms.count == 2, "confirmation and reminder by SMS")

        // The others: the moved one is due tomorrow, the cancelled and the late one never.
        for reference in [moved, cancelled, soon] {
            let rows = try #require(try suite.bookctlJSON(["notifications", reference]) as? [[String: Any]])
            #expect(!rows.contains { $0["purpose"] as? String == "client-reminder" && $0["state"] as? String == "sent" }, "\(reference)")
            let shown = try #require(try suite.bookctlJSON(["show", reference]) as? [String: Any])
            #expect(shown["reminderSent"] as? Bool == false)
        }

        // A restart does not send it twice.
        suite.terminate("notifyd")
        try await suite.start("notifyd", config: later)
        try await Task.sleep(for: .seconds(2))
        #expect(smtp.messages.filter { $0.messageID?.contains("<reminder.") == true }.count == 2, "the client's and the consultant's, once each")
    }
}

extension ReceivedMail {
    /// A header's raw value (the tests' headers are ASCII and unfolded).
    func header(_ name: String) -> String? {
        let head = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n").first ?? ""
        let prefix = name.lowercased() + ":"
        return head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(prefix) }
            .map { String($0.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces) }
    }
}

/// Distinct bookable slots for a burst: two consultants per slot, from 2026-12-02 on.
func burstSlots(count: Int) throws -> [Date] {
    var slots: [Date] = []
    var day = 2
    let formatter = ISO8601DateFormatter()
    while slots.count < count {
        let date = try #require(formatter.date(from: String(format: "2026-12-%02dT06:00:00Z", day)))
        let weekday = Calendar(identifier: .gregorian).component(.weekday, from: date)
        if weekday != 1 && weekday != 7 {
            for slot in 0..<18 where slots.count < count {
                let start = date.addingTimeInterval(Double(slot) * 1800)
                slots.append(start)
                if slots.count < count { slots.append(start) }
            }
        }
        day += 1
    }
    return slots
}
