import Foundation
import LoopbackServers
import Testing

/// How the meeting happens and what the client would like to discuss, as the people read them:
/// the daemons as processes, bookctl, a real mail server and SMS gateway on loopback, and the
/// rendered emails read back with Python's email and icalendar packages.
@Suite(.serialized) struct MeetingFlowTests {
    static let address = "Москва, Тверская ул., 1, офис 5"
    static let topic = "Продажа квартиры: налоги"

    func book(_ suite: SuiteProcess, _ start: String, _ n: Int, consultant: String, topic: String? = nil) throws -> String {
        let booked = try #require(try suite.bookctlJSON([
            "book", "--start", start + ":00+03:00", "--name", "Клиент \(n)", "--email", "client\(n)@example.com",
            "--phone", "+7 916 000-00-\(String(format: "%02d", n))", "--locale", "ru", "--consultant", consultant,
        ] + (topic.map { ["--topic", $0] } ?? [])) as? [String: Any])
        return try #require(booked["reference"] as? String)
    }

    @Test func theRoomAndTheOfficeReachEveryMessageTheCalendarAndBookctl() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let suite = try NotificationTests.suite(servers, extra: """
            meeting:
              format: video
              link: "https://meet.example.com/{reference}"
            """)
        defer { suite.tearDown() }
        try await suite.start()

        let added = try suite.bookctl([
            "consultants", "add", "clara", "--name", "Clara Weber", "--email", "clara@example.com", "--meeting", "office", "--meeting-address", Self.address,
        ])
        #expect(added.status == 0, "\(added.stderr)")
        let refused = try suite.bookctl(["consultants", "add", "dora", "--name", "Dora", "--email", "dora@example.com", "--meeting", "video", "--meeting-link", "ftp://meet.example.com/dora"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("https:// or http://"), "\(refused.stderr)")
        let usage = try suite.bookctl(["consultants", "add", "erik", "--name", "Erik", "--meeting-address", Self.address])
        #expect(usage.status == 2 && usage.stderr.contains("need --meeting video or --meeting office"), "\(usage.stderr)")
        let listed = try suite.bookctl(["consultants"])
        #expect(listed.stdout.contains("office \(Self.address)") && listed.stdout.contains("(the suite's)"), "\(listed.stdout)")

        let video = try book(suite, "2026-12-02T11:00", 1, consultant: "anna", topic: Self.topic)
        let office = try book(suite, "2026-12-02T12:00", 2, consultant: "clara")
        #expect(try suite.bookctl(["reschedule", video, "--start", "2026-12-03T15:30"]).status == 0)
        let link = "https://meet.example.com/\(video)"

        let shown = try suite.bookctl(["show", video])
        #expect(shown.stdout.contains("Meeting:     video \(link)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("Topic:       \(Self.topic)"))
        let shownJSON = try #require(try suite.bookctlJSON(["show", office]) as? [String: Any])
        #expect((shownJSON["meeting"] as? [String: Any])?["address"] as? String == Self.address)

        // Booked, booked, moved: each tells the client and the consultant; the clients get an SMS each time.
        let received = try await servers.smtp.waitForMessages(count: 6, timeout: .seconds(30))
        let requests = try await servers.http.waitForRequests(count: 6, timeout: .seconds(30))
        let summaries = try NotificationTests.summaries(received, in: servers.smtp)
        func mails(to recipient: String) -> [[String: Any]] { summaries.filter { ($0["to"] as? String)?.contains(recipient) == true } }

        let videoClient = mails(to: "client1@example.com")
        #expect(videoClient.count == 2)
        for mail in videoClient {
            #expect((mail["text"] as? String)?.contains("Видеозвонок: \(link)") == true, "\(mail["text"] ?? "")")
            #expect((mail["html"] as? String)?.contains("<a href=\"\(link)\">") == true)
            let invite = try #require(mail["invite"] as? [String: Any])
            #expect(invite["location"] as? String == link && invite["url"] as? String == link && invite["conference"] as? String == link)
            #expect((mail["text"] as? String)?.contains("Продажа") == false, "the topic is for the consultant")
        }
        let anna = mails(to: "anna@example.com")
        #expect(anna.count == 2)
        #expect(anna.allSatisfy { ($0["text"] as? String)?.contains("Видеозвонок: \(link)") == true })
        #expect(anna.allSatisfy { ($0["text"] as? String)?.contains("Клиент хотел бы обсудить:\n\(Self.topic)") == true }, "\(anna.first?["text"] ?? "")")

        let officeClient = try #require(mails(to: "client2@example.com").first)
        #expect((officeClient["text"] as? String)?.contains("Адрес: \(Self.address)") == true, "\(officeClient["text"] ?? "")")
        let officeInvite = try #require(officeClient["invite"] as? [String: Any])
        #expect(officeInvite["location"] as? String == Self.address && officeInvite["conference"] as? String == "")
        #expect((mails(to: "clara@example.com").first?["text"] as? String)?.contains("Адрес: \(Self.address)") == true)

        let sms = try requests.filter { $0.path == "/sms" }.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: String]) }
        #expect(sms.count == 3)
        #expect(sms.filter { $0["to"] == "+79160000001" }.allSatisfy { $0["text"]?.contains(link) == true }, "\(sms)")
        #expect(sms.filter { $0["to"] == "+79160000002" }.allSatisfy { $0["text"]?.contains("Адрес: \(Self.address)") == true }, "\(sms)")

        for daemon in ["bookingd", "availabilityd", "notifyd"] {
            #expect(!suite.log(daemon).contains("Продажа"), "the topic is personal data: not in \(daemon)'s log")
        }
    }
}
