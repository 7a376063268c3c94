import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// The feeds through bookingd and availabilityd in this process: `feed_show`, `feed_rotate` and
/// `feed_revoke` (whose admin-only access is `CommandAccess`'s, tested in PeerAccessTests), and
/// `feed` by token.
@Suite(.serialized) struct FeedCommandsTests {
    static func refusal<Answer: Decodable & Sendable>(_ call: () async throws -> Answer) async -> String {
        do {
            _ = try await call()
            return "answered"
        } catch let error as ProtocolError {
            return error.code.rawValue + (error.field.map { ":" + $0 } ?? "")
        } catch {
            return "\(error)"
        }
    }

    static func book(_ bookingd: DaemonClient, _ start: String, _ n: Int, consultant: String) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, BookRequest(start: BookingCommandsTests.instant(start), contact: BookingCommandsTests.contact(n),
                                                              consultantId: consultant, topic: "Налоги"))
    }

    static func feed(_ bookingd: DaemonClient, _ token: String?, detail: FeedDetail? = nil) async throws -> FeedReply {
        try await bookingd.call(MessageType.feed, FeedRequest(token: try #require(token), detail: detail))
    }

    @Test func aFeedHoldsItsScopesBookingsWithNothingOfTheClientByDefault() async throws {
        let suite = try await InProcessSuite.start()
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        let first = try await Self.book(bookingd, "2026-12-02T11:00:00+03:00", 1, consultant: "anna")
        let second = try await Self.book(bookingd, "2026-12-02T11:00:00+03:00", 2, consultant: "boris")
        let third = try await Self.book(bookingd, "2026-12-03T12:00:00+03:00", 3, consultant: "anna")
        let gone = try await Self.book(bookingd, "2026-12-03T13:00:00+03:00", 4, consultant: "anna")
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: gone.reference))

        let anna: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "anna"))
        #expect(anna.scope == "anna" && anna.generation == 1 && !anna.revoked)
        let annas = try await Self.feed(bookingd, anna.token)
        #expect(annas.scope == "anna")
        #expect(annas.appointments.map(\.id) == [first.id, third.id], "anna's, by start; the cancelled one is not held")
        for appointment in annas.appointments {
            #expect(appointment.reference == BookingReference.masked(first.id == appointment.id ? first.reference : third.reference))
            #expect(appointment.contact == ContactBody(name: "", email: "", phone: ""))
            #expect(appointment.topic == nil)
        }
        let full = try await Self.feed(bookingd, anna.token, detail: .full)
        #expect(full.appointments.first?.contact == ContactBody(name: "Иван Петров", email: "", phone: "+79161234501"), "the name and phone, never the email")
        #expect(full.appointments.first?.topic == nil)

        let team: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "team"))
        let teams = try await Self.feed(bookingd, team.token)
        #expect(teams.scope == "team")
        #expect(Set(teams.appointments.prefix(2).map(\.id)) == [first.id, second.id] && teams.appointments.last?.id == third.id)

        let page: FeedReply = try await bookingd.call(MessageType.feed, FeedRequest(token: try #require(team.token), limit: 2))
        #expect(page.appointments.count == 2 && page.next == page.appointments.last?.id)
        let rest: FeedReply = try await bookingd.call(MessageType.feed, FeedRequest(token: try #require(team.token), after: page.next, limit: 2))
        #expect(rest.appointments.map(\.id) == [third.id] && rest.next == nil)
        try await suite.stop()
    }

    @Test func aRotatedAwayARevokedAndAForgedTokenGetTheSameAnswer() async throws {
        let suite = try await InProcessSuite.start()
        let bookingd = try await suite.client(.bookingd)
        let shown: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "anna"))
        let first = try #require(shown.token)
        let again: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "anna"))
        #expect(again.token == first, "showing it again gives the same address")

        let rotated: FeedStateReply = try await bookingd.call(MessageType.feedRotate, FeedScopeRequest(scope: "anna"))
        #expect(rotated.generation == 2 && rotated.token != first && rotated.token?.hasPrefix("anna.2.") == true)
        #expect(await Self.refusal { try await Self.feed(bookingd, first) } == "not_found:token", "the address before")
        #expect(await Self.refusal { try await Self.feed(bookingd, rotated.token) } == "answered")

        let forged = "anna.2." + String(repeating: "0", count: 32)
        #expect(await Self.refusal { try await Self.feed(bookingd, forged) } == "not_found:token")
        let borisWithAnnasSignature = try #require(rotated.token).replacingOccurrences(of: "anna.", with: "boris.")
        #expect(await Self.refusal { try await Self.feed(bookingd, borisWithAnnasSignature) } == "not_found:token")
        #expect(await Self.refusal { try await Self.feed(bookingd, "anna.2.not-hex") } == "validation_failed:token")

        let revoked: FeedStateReply = try await bookingd.call(MessageType.feedRevoke, FeedScopeRequest(scope: "anna"))
        #expect(revoked.revoked && revoked.token == nil && revoked.revokedAt != nil && revoked.generation == 2)
        #expect(await Self.refusal { try await Self.feed(bookingd, rotated.token) } == "not_found:token")
        let showRevoked: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "anna"))
        #expect(showRevoked.revoked && showRevoked.token == nil)

        let served: FeedStateReply = try await bookingd.call(MessageType.feedRotate, FeedScopeRequest(scope: "anna"))
        #expect(!served.revoked && served.generation == 3)
        #expect(await Self.refusal { try await Self.feed(bookingd, served.token) } == "answered")
        #expect(await Self.refusal { try await Self.feed(bookingd, rotated.token) } == "not_found:token", "the revoked address stays dead")
        let boris: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "boris"))
        #expect(boris.generation == 1 && !boris.revoked, "each feed is its own")
        try await suite.stop()
    }

    @Test func aRoomOfTheBookingsOwnIsLeftOutSinceItsLinkHoldsTheReference() async throws {
        var options = InProcessSuite.Options()
        options.extra = "meeting:\n  format: video\n  link: \"https://meet.example.com/{reference}\"\n"
        let suite = try await InProcessSuite.start(options)
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        let availabilityd = try await suite.client(.availabilityd)
        let room = MeetingBody(format: "video", link: "https://meet.example.com/boris-room")
        let _: ConsultantBody = try await availabilityd.call(MessageType.consultantEdit, ConsultantEditRequest(id: "boris", meeting: room))
        let annas = try await Self.book(bookingd, "2026-12-02T11:00:00+03:00", 1, consultant: "anna")
        let boriss = try await Self.book(bookingd, "2026-12-02T11:00:00+03:00", 2, consultant: "boris")
        #expect(annas.meeting?.link == "https://meet.example.com/\(annas.reference)")

        let team: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "team"))
        let feed = try await Self.feed(bookingd, team.token, detail: .full)
        #expect(feed.appointments.map(\.id) == [annas.id, boriss.id])
        #expect(feed.appointments.map(\.meeting) == [MeetingBody(format: "video"), room], "a shared room stays; one named by the reference does not")
        #expect(try !String(decoding: WireJSON.encode(feed), as: UTF8.self).contains(annas.reference))
        try await suite.stop()
    }

    @Test func anUnknownConsultantAndABadScopeAreRefusedAndChangeNothing() async throws {
        let suite = try await InProcessSuite.start()
        let bookingd = try await suite.client(.bookingd)
        for type in [MessageType.feedShow, MessageType.feedRotate, MessageType.feedRevoke] {
            #expect(await Self.refusal { () async throws -> FeedStateReply in
                try await bookingd.call(type, FeedScopeRequest(scope: "anan"))
            } == "not_found:scope", "\(type)")
            #expect(await Self.refusal { () async throws -> FeedStateReply in
                try await bookingd.call(type, FeedScopeRequest(scope: "anna/../team"))
            } == "validation_failed:scope", "\(type)")
        }
        let anna: FeedStateReply = try await bookingd.call(MessageType.feedShow, FeedScopeRequest(scope: "anna"))
        #expect(anna.generation == 1 && !anna.revoked)
        #expect(await Self.refusal { () async throws -> FeedReply in
            try await bookingd.call(MessageType.feed, FeedRequest(token: try #require(anna.token), after: "BK-7Q2M"))
        } == "validation_failed:after")
        #expect(await Self.refusal { () async throws -> FeedReply in
            try await bookingd.call(MessageType.feed, FeedRequest(token: try #require(anna.token), limit: 0))
        } == "validation_failed:limit")
        try await suite.stop()
    }
}
