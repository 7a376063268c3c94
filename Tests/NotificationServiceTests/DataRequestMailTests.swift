import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// A client's request from the manage page about their data: notifyd emails the link (to the
/// booking's address, by email only), and bookingd acts on the link's token only, for the one
/// action it was issued for.
@Suite(.serialized) struct DataRequestMailTests {
    static func suite() async throws -> (InProcessSuite, DaemonClient, DaemonClient) {
        var options = InProcessSuite.Options()
        options.daemons = [.availabilityd, .bookingd, .notifyd]
        let suite = try await InProcessSuite.start(options)
        return (suite, try await suite.client(.bookingd), try await suite.client(.notifyd))
    }

    /// The link of the data-request email, as the reader's mail program shows it.
    static func link(_ suite: InProcessSuite, reference: String, action: DataRequestAction) throws -> (action: String, expires: String, token: String) {
        let pattern = try Regex("http://127\\.0\\.0\\.1:8080/manage/\(reference)/data\\?action=(\(action.rawValue))&expires=([0-9]+)&token=([0-9a-f]{32})")
        let texts = NotificationFlowTests.emails(suite).values.filter { $0.contains("X-Booking-Purpose: client-data-request") }.map {
            $0.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        }
        let match = try #require(texts.lazy.compactMap { $0.firstMatch(of: pattern) }.first)
        return (String(match.output[1].substring!), String(match.output[2].substring!), String(match.output[3].substring!))
    }

    static func refusal(_ call: () async throws -> Void) async -> ProtocolError? {
        do {
            try await call()
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    @Test func theEmailedLinkExportsAndErasesAndNothingElseDoes() async throws {
        let (suite, bookingd, notifyd) = try await Self.suite()
        let booked = try await HoldNotificationTests.book(bookingd)
        _ = try await NotificationFlowTests.waitForEmails(suite, count: 2)

        let sent: SentDataLinkReply = try await notifyd.call(MessageType.sendDataLink, DataLinkRequest(reference: booked.reference, action: .export))
        #expect(sent.sentTo == "i***@example.com")
        _ = try await NotificationFlowTests.waitForEmails(suite, count: 3)
        #expect(HoldNotificationTests.purposes(suite) == ["client-confirmation", "client-data-request", "consultant-created"])
        let exportLink = try Self.link(suite, reference: booked.reference, action: .export)
        #expect(exportLink.action == "export")
        #expect(Int64(exportLink.expires) == sent.expiresAt.millisecondsSince1970)
        let sms: NotificationsReply = try await notifyd.call(MessageType.notifications, NotificationsRequest(reference: booked.reference))
        #expect(sms.notifications.filter { $0.channel == "sms" }.count == 1, "the confirmation's SMS only: the link goes by email")

        // Asking again at once sends nothing: the page cannot flood a mailbox.
        let again = await Self.refusal {
            let _: SentDataLinkReply = try await notifyd.call(MessageType.sendDataLink, DataLinkRequest(reference: booked.reference, action: .export))
        }
        #expect(again?.code == .conflict, "\(String(describing: again))")

        let expiresAt = Date(millisecondsSince1970: try #require(Int64(exportLink.expires)))
        let export: ExportReply = try await bookingd.call(MessageType.clientExport,
                                                          ClientDataRequest(reference: booked.reference, token: exportLink.token, expiresAt: expiresAt))
        #expect(export.bookings.map(\.appointment.reference) == [booked.reference])
        #expect(export.bookings.first?.appointment.contact.email == "ivan@example.com", "the client's own data, in full")

        // The export's token erases nothing, nor does it read with another end or booking.
        for (type, request) in [
            (MessageType.clientErase, ClientDataRequest(reference: booked.reference, token: exportLink.token, expiresAt: expiresAt)),
            (MessageType.clientExport, ClientDataRequest(reference: booked.reference, token: exportLink.token, expiresAt: expiresAt.addingTimeInterval(3600))),
            (MessageType.clientExport, ClientDataRequest(reference: BookingReference.random().description, token: exportLink.token, expiresAt: expiresAt)),
        ] {
            let refused = await Self.refusal { _ = try await bookingd.exchange(type, body: try WireJSON.encode(request)) }
            #expect(refused?.code == .validationFailed && refused?.field == "token", "\(type): \(String(describing: refused))")
        }
        let still: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: booked.reference))
        #expect(still.contact.email == "ivan@example.com")

        let _: SentDataLinkReply = try await notifyd.call(MessageType.sendDataLink, DataLinkRequest(reference: booked.reference, action: .erase))
        _ = try await NotificationFlowTests.waitForEmails(suite, count: 4)
        let eraseLink = try Self.link(suite, reference: booked.reference, action: .erase)
        #expect(eraseLink.action == "erase")
        let erasure: ErasureBody = try await bookingd.call(MessageType.clientErase, ClientDataRequest(
            reference: booked.reference, token: eraseLink.token, expiresAt: Date(millisecondsSince1970: try #require(Int64(eraseLink.expires)))))
        #expect(erasure.user == "client" && erasure.cancelled == 1 && erasure.appointments == 1)
        let erased: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: booked.reference))
        #expect(erased.contact.email.isEmpty)
        // Nobody is left to send a link to.
        let afterwards = await Self.refusal {
            let _: DataLinkReply = try await bookingd.call(MessageType.dataLink, DataLinkRequest(reference: booked.reference, action: .export))
        }
        #expect(afterwards?.code == .conflict && afterwards?.body.message.contains("erased") == true, "\(String(describing: afterwards))")
        try await suite.stop()
    }
}
