import Foundation
import LoopbackServers
import Testing

/// `bookctl notifications test-email ADDRESS`: an operator checks the mail setup before a client
/// needs it, through the transport the configuration names.
@Suite struct TestEmailTests {
    @Test func aTestMessageGoesThroughSMTPAndAFailureSaysWhy() async throws {
        let servers = try NotificationTests.Servers()
        defer { servers.stop() }
        let suite = try NotificationTests.suite(servers)
        defer { suite.tearDown() }
        try await suite.start()

        let sent = try suite.bookctl(["notifications", "test-email", "ops@example.com"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("Sent a test message to ops@example.com through SMTP 127.0.0.1:\(servers.smtp.port)"), "\(sent.stdout)")
        let mails = try await servers.smtp.waitForMessages(count: 1)
        #expect(mails.first?.rcptTos == ["ops@example.com"])
        #expect(mails.first?.mailFrom == "booking@example.com")
        let summary = try #require(try NotificationTests.summaries(mails, in: servers.smtp).first)
        #expect((summary["subject"] as? String)?.contains("Test message") == true, "\(summary)")

        try servers.smtp.control(failNext: 1, failCode: 550)
        let refused = try suite.bookctl(["notifications", "test-email", "nobody@example.com"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not sent through SMTP") && refused.stderr.contains("550"), "\(refused.stderr)")

        let malformed = try suite.bookctl(["notifications", "test-email", "ops-at-example.com"])
        #expect(malformed.status == 1)
        #expect(malformed.stderr.contains("'ops-at-example.com' is not an email address"), "\(malformed.stderr)")
        #expect(servers.smtp.messages.count == 1, "nothing more was sent")
    }

    @Test func inDevelopmentTheTestMessageIsAFileInTheMailDirectory() async throws {
        let suite = try SuiteProcess()
        defer { suite.tearDown() }
        try await suite.start()
        let sent = try suite.bookctl(["notifications", "test-email", "ops@example.com"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("through the mail directory \(suite.directory)/mail"), "\(sent.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: suite.directory + "/mail")
        #expect(files.contains { $0.hasPrefix("test.ops@example.com.") && $0.hasSuffix(".eml") }, "\(files)")
    }
}
