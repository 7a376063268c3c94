import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// The meeting a booking is given, from the suite's `meeting:` or its consultant's own format,
/// and the topic the client wrote: bookingd and availabilityd in this process.
@Suite(.serialized) struct MeetingTests {
    static func suite() async throws -> InProcessSuite {
        var options = InProcessSuite.Options()
        options.extra = """
            meeting:
              format: video
              link: "https://meet.example.com/{reference}"
            """
        let suite = try await InProcessSuite.start(options)
        try await BookingCommandsTests.ready(suite)
        return suite
    }

    static func refusal(_ call: () async throws -> Void) async -> ProtocolError? {
        do {
            try await call()
        } catch let error as ProtocolError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
        }
        return nil
    }

    @Test func bookingsGetTheSuitesRoomOrTheirConsultantsOfficeAndKeepTheTopic() async throws {
        let suite = try await Self.suite()
        let bookingd = try await suite.client(.bookingd)
        let availabilityd = try await suite.client(.availabilityd)

        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
            start: BookingCommandsTests.instant("2026-12-02T11:00:00+03:00"), contact: BookingCommandsTests.contact(), consultantId: "anna",
            topic: "  Продажа квартиры:\r\nналоги  "))
        #expect(booked.meeting == MeetingBody(format: "video", link: "https://meet.example.com/\(booked.reference)"))
        #expect(booked.topic == "Продажа квартиры:\nналоги")

        let office = MeetingBody(format: "office", address: "Москва, Тверская ул., 1, офис 5")
        let added: ConsultantBody = try await availabilityd.call(MessageType.consultantAdd, ConsultantBody(
            id: "clara", name: "Clara Weber", email: "clara@example.com", timeZone: "Europe/Berlin", meeting: office))
        #expect(added.meeting == office)
        let listed: ConsultantsReply = try await availabilityd.call(MessageType.consultants, Empty())
        #expect(listed.consultants.map(\.meeting) == [nil, nil, office])

        // Another consultant, the same time: the booking is now at her office.
        let moved: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(
            reference: booked.reference, start: booked.start, consultantId: "clara"))
        #expect(moved.meeting == office)
        #expect(moved.topic == booked.topic)

        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        #expect(replay.events.map(\.appointment.meeting) == [booked.meeting, office])
        #expect(replay.events.allSatisfy { $0.appointment.topic == nil }, "the topic is the client's own words: events leave it out")
        try await suite.stop()
    }

    @Test func aBadTopicOrFormatIsRefusedNamingItsFieldAndChangesNothing() async throws {
        let suite = try await Self.suite()
        let bookingd = try await suite.client(.bookingd)
        let availabilityd = try await suite.client(.availabilityd)

        let tooLong = await Self.refusal {
            let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
                start: BookingCommandsTests.instant("2026-12-02T11:00:00+03:00"), contact: BookingCommandsTests.contact(),
                topic: String(repeating: "я", count: 1001)))
        }
        #expect(tooLong?.code == .validationFailed && tooLong?.field == "topic")
        #expect(tooLong?.message == "topic must be at most 1000 characters (got 1001)")
        let tab = await Self.refusal {
            let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
                start: BookingCommandsTests.instant("2026-12-02T11:00:00+03:00"), contact: BookingCommandsTests.contact(), topic: "a\tb"))
        }
        #expect(tab?.field == "topic")

        let badLink = await Self.refusal {
            let _: ConsultantBody = try await availabilityd.call(MessageType.consultantAdd, ConsultantBody(
                id: "clara", name: "Clara Weber", email: "clara@example.com", timeZone: "Europe/Berlin",
                meeting: MeetingBody(format: "video", link: "https://meet.example.com/{room}")))
        }
        #expect(badLink?.code == .validationFailed && badLink?.field == "meeting.link")
        let unknown = await Self.refusal {
            let _: ConsultantBody = try await availabilityd.call(MessageType.consultantAdd, ConsultantBody(
                id: "clara", name: "Clara Weber", email: "clara@example.com", timeZone: "Europe/Berlin", meeting: MeetingBody(format: "zoom")))
        }
        #expect(unknown?.field == "meeting.format")

        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        #expect(replay.events.isEmpty)
        let listed: ConsultantsReply = try await availabilityd.call(MessageType.consultants, Empty())
        #expect(listed.consultants.map(\.id) == ["anna", "boris"])
        try await suite.stop()
    }
}
