import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// What notifyd sends for a held booking: the client's "please confirm" (email with the link and
/// the code, SMS with the code) and nothing to the consultant or the team; the usual
/// confirmation with its invite once confirmed; a notice when the hold is released.
@Suite(.serialized) struct HoldNotificationTests {
    static func suite(holdMinutes: String) async throws -> (InProcessSuite, DaemonClient) {
        var options = InProcessSuite.Options()
        options.daemons = [.availabilityd, .bookingd, .notifyd]
        options.extra = "bookings: {confirmation: 'on', hold_minutes: \(holdMinutes)}"
        let suite = try await InProcessSuite.start(options)
        return (suite, try await suite.client(.bookingd))
    }

    static func book(_ bookingd: DaemonClient) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, BookRequest(
            start: ISO8601.parseInstant("2026-12-02T11:00:00+03:00")!,
            contact: ContactBody(name: "Иван Петров", email: "ivan@example.com", phone: "+79161234567"), locale: "en", consultantId: "anna"))
    }

    static func purposes(_ suite: InProcessSuite) -> [String] {
        NotificationFlowTests.emails(suite).values.compactMap { email in
            email.split(separator: "\r\n").first { $0.hasPrefix("X-Booking-Purpose: ") }.map { String($0.dropFirst("X-Booking-Purpose: ".count)) }
        }.sorted()
    }

    @Test func aHoldAsksItsClientToConfirmAndTheConfirmationFollows() async throws {
        let (suite, bookingd) = try await Self.suite(holdMinutes: "30")
        let held = try await Self.book(bookingd)
        let first = try await NotificationFlowTests.waitForEmails(suite, count: 1)
        #expect(Self.purposes(suite) == ["client-confirm-request"])
        // The text part as a reader sees it (quoted-printable undone).
        let request = try #require(first.values.first)
            .replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        let proof = try #require(replay.events.first?.confirmation)
        #expect(request.contains("http://127.0.0.1:8080/manage/\(held.reference)/confirm?token=\(proof.token)"))
        #expect(request.contains(proof.code) && !request.contains("text/calendar"), "the code, and no invite before the confirmation")

        let notifyd = try await suite.client(.notifyd)
        let sms: NotificationsReply = try await notifyd.call(MessageType.notifications, NotificationsRequest(reference: held.reference))
        #expect(sms.notifications.map(\.channel).sorted() == ["email", "sms"])

        let _: AppointmentBody = try await bookingd.call(MessageType.confirm, ConfirmRequest(reference: held.reference, token: proof.token))
        _ = try await NotificationFlowTests.waitForEmails(suite, count: 3)
        #expect(Self.purposes(suite) == ["client-confirm-request", "client-confirmation", "consultant-created"])
        #expect(NotificationFlowTests.emails(suite).values.filter { $0.contains("text/calendar") }.count == 2)
        try await suite.stop()
    }

    @Test func aReleasedHoldIsToldToItsClient() async throws {
        let (suite, bookingd) = try await Self.suite(holdMinutes: "0.05")
        _ = try await Self.book(bookingd)
        _ = try await NotificationFlowTests.waitForEmails(suite, count: 2)
        #expect(Self.purposes(suite) == ["client-confirm-request", "client-hold-released"])
        try await suite.stop()
    }
}
