import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// notifyd's library in this process, following bookingd and asking availabilityd about
/// consultants; messages go to the development mail directory.
@Suite(.serialized) struct NotificationFlowTests {
    static func instant(_ text: String) -> Date { ISO8601.parseInstant(text)! }

    /// The emails written so far, by file name.
    static func emails(_ suite: InProcessSuite) -> [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: suite.mailDirectory)) ?? []
        var emails: [String: String] = [:]
        for name in names where name.hasSuffix(".eml") {
            emails[name] = try? String(contentsOfFile: suite.mailDirectory + "/" + name, encoding: .utf8)
        }
        return emails
    }

    static func waitForEmails(_ suite: InProcessSuite, count: Int) async throws -> [String: String] {
        for _ in 0..<200 {
            let found = emails(suite)
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return emails(suite)
    }

    /// The three daemons in this process and one booking on Wednesday at 11:00 Moscow time.
    static func bookedWithNotifyd(consultant: String?) async throws -> (InProcessSuite, DaemonClient, AppointmentBody) {
        var options = InProcessSuite.Options()
        options.daemons = [.availabilityd, .bookingd, .notifyd]
        let suite = try await InProcessSuite.start(options)
        let bookingd = try await suite.client(.bookingd)
        let booked: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: instant("2026-12-02T11:00:00+03:00"),
                                          contact: ContactBody(name: "Иван Петров", email: "ivan@example.com", phone: "+79161234567"), consultantId: consultant))
        return (suite, bookingd, booked)
    }

    @Test func aBookingAndItsRescheduleAreToldToClientAndConsultantOnce() async throws {
        let (suite, bookingd, booked) = try await Self.bookedWithNotifyd(consultant: nil)
        let first = try await Self.waitForEmails(suite, count: 2)
        #expect(first.count == 2, "the client's confirmation and the consultant's notice")
        #expect(first.values.contains { $0.contains("To: ") && $0.contains("ivan@example.com") })
        #expect(first.values.contains { $0.contains("\(booked.consultantId)@example.com") })
        #expect(first.values.allSatisfy { $0.contains("text/calendar") }, "each carries the invite")

        let _: AppointmentBody = try await bookingd.call(
            MessageType.reschedule, RescheduleRequest(reference: booked.reference, start: Self.instant("2026-12-03T15:30:00+03:00")))
        let second = try await Self.waitForEmails(suite, count: 4)
        #expect(second.count == 4)
        // Given time to go wrong, nothing is sent twice.
        try await Task.sleep(for: .milliseconds(500))
        #expect(Self.emails(suite).count == 4)

        let notifyd = try await suite.client(.notifyd)
        let sent: NotificationsReply = try await notifyd.call(MessageType.notifications, NotificationsRequest(reference: booked.reference))
        #expect(sent.notifications.filter { $0.channel == "email" }.count == 4)
        #expect(sent.notifications.allSatisfy { !$0.recipient.contains("ivan@") }, "recipients are masked: \(sent.notifications.map(\.recipient))")
        try await suite.stop()
    }

    /// A move to another consultant at the same time: the old one's calendar loses the event
    /// (CANCEL), the new one gets a new booking (REQUEST), the client hears of the change.
    @Test func aMoveToAnotherConsultantReleasesTheOldOneAndBooksTheNewOne() async throws {
        let (suite, bookingd, booked) = try await Self.bookedWithNotifyd(consultant: "anna")
        _ = try await Self.waitForEmails(suite, count: 2)
        let _: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(
            reference: booked.reference, start: booked.start, consultantId: "boris", reason: "anna болеет", actor: "admin"))
        let emails = try await Self.waitForEmails(suite, count: 5)
        #expect(emails.count == 5)
        /// The one message of a purpose for an address, by its Message-ID (`<event>.<purpose>.email@…`).
        func message(_ purpose: String, to address: String) -> String? {
            let found = emails.values.filter { $0.contains(".\(purpose).email@") && $0.contains("<\(address)>") }
            return found.count == 1 ? found[0] : nil
        }
        let client = try #require(message("client-consultant-changed", to: "ivan@example.com"))
        #expect(client.contains("method=REQUEST"))
        let released = try #require(message("consultant-released", to: "anna@example.com"))
        #expect(released.contains("method=CANCEL"))
        let created = try #require(emails.values.first { $0.contains(".consultant-created.email@") && $0.contains("<boris@example.com>") })
        #expect(created.contains("method=REQUEST"))
        #expect(!emails.values.contains { $0.contains("-rescheduled.email@") }, "nobody is told of a move in time")
        try await suite.stop()
    }
}
