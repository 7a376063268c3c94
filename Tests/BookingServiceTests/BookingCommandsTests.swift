import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// bookingd's library with availabilityd's beside it, in this process: real ipc sockets and real
/// SQLite files, no processes.
@Suite(.serialized) struct BookingCommandsTests {
    static func instant(_ text: String) -> Date { ISO8601.parseInstant(text)! }

    static func contact(_ n: Int = 1) -> ContactBody {
        ContactBody(name: "Иван Петров", email: "ivan\(n)@example.com", phone: "+7 916 123-45-\(String(format: "%02d", n % 100))")
    }

    /// Waits for availabilityd's view to take bookingd's snapshot (it answers `syncing` before).
    static func ready(_ suite: InProcessSuite) async throws {
        let availability = try await suite.client(.availabilityd)
        for _ in 0..<100 {
            let ping: PingReply = try await availability.call(MessageType.ping, Empty())
            if ping.state == "ready" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("availabilityd never synced")
    }

    @Test func aNationalNumberIsReadInItsPhoneRegionAndARefusalShowsTheExpectedForm() async throws {
        let suite = try await InProcessSuite.start()
        try await Self.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        let start = Self.instant("2026-12-02T11:00:00+03:00")
        func refusal(_ phone: String, region: String?) async -> ProtocolError? {
            let contact = ContactBody(name: "Jane Smith", email: "jane@example.com", phone: phone, phoneRegion: region)
            do {
                let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: start, contact: contact))
                return nil
            } catch {
                return error as? ProtocolError
            }
        }
        let withoutRegion = await refusal("07400 123456", region: nil)
        #expect(withoutRegion?.code == .validationFailed && withoutRegion?.field == "contact.phone")
        #expect(withoutRegion?.message == "phone number must start with + and a country code, e.g. +7 916 123-45-67")
        let tollFree = await refusal("8 800 555-35-35", region: "RU")
        #expect(tollFree?.message == "phone number must be one a person answers, not a toll-free number: e.g. +7 912 345-67-89, or 8 (912) 345-67-89 within RU")
        let unknown = await refusal("07400 123456", region: "UK")
        #expect(unknown?.message == "phone region 'UK' is not a region code such as RU or GB")

        let british = ContactBody(name: "Jane Smith", email: "jane@example.com", phone: "07400 123456", phoneRegion: "GB")
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: start, contact: british))
        #expect(booked.contact.phone == "+447400123456")
        #expect(booked.contact.phoneRegion == nil, "stored in E.164, the region is not kept")
        let listed: ListReply = try await bookingd.call(MessageType.list, ListRequest())
        #expect(listed.appointments.count == 1, "the refused ones booked nothing")
        try await suite.stop()
    }

    @Test func bookRescheduleCancelAndTheEventsOfEach() async throws {
        let suite = try await InProcessSuite.start()
        try await Self.ready(suite)
        let bookingd = try await suite.client(.bookingd)

        let booked: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: Self.instant("2026-12-02T11:00:00+03:00"), contact: Self.contact()), idempotencyKey: "k-1")
        #expect(booked.status == "confirmed")
        #expect(booked.revision == 0)
        #expect(booked.contact.phone == "+79161234501")

        let moved: AppointmentBody = try await bookingd.call(
            MessageType.reschedule, RescheduleRequest(reference: booked.reference, start: Self.instant("2026-12-03T15:30:00+03:00")))
        #expect(moved.start == Self.instant("2026-12-03T12:30:00Z"))
        #expect(moved.revision == 1)

        let cancelled: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference, reason: "no longer needed"))
        #expect(cancelled.status == "cancelled")
        #expect(cancelled.revision == 2)

        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        #expect(replay.events.map(\.kind) == [.created, .rescheduled, .cancelled])
        #expect(replay.events.map(\.sequence) == [1, 2, 3])
        #expect(replay.events.map(\.appointment.revision) == [0, 1, 2])
        try await suite.stop()
    }

    /// An admin's reason is internal: it stays in the history and the event's `reason`, and the
    /// event carries for clients only what the admin chose to tell them. A client's own reason
    /// is personal data: the history keeps it, the event does not.
    @Test func anAdminsReasonStaysInternalAndOnlyTheClientMessageIsForClients() async throws {
        let suite = try await InProcessSuite.start()
        try await Self.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        func book(_ start: String, _ n: Int) async throws -> AppointmentBody {
            try await bookingd.call(MessageType.book, BookRequest(start: Self.instant(start), contact: Self.contact(n), consultantId: "anna"))
        }
        let first = try await book("2026-12-02T11:00:00+03:00", 1)
        let second = try await book("2026-12-02T12:00:00+03:00", 2)
        let third = try await book("2026-12-02T13:00:00+03:00", 3)

        let reassigned: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(
            reference: first.reference, start: first.start, consultantId: "boris", reason: "anna болеет", clientMessage: "Вас примет Борис.", actor: "admin"))
        #expect(reassigned.consultantId == "boris" && reassigned.start == first.start)
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: second.reference, reason: "anna болеет", actor: "admin"))
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: third.reference, reason: "plans changed", clientMessage: "ignored"))

        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 3))
        #expect(replay.events.map(\.reason) == ["anna болеет", "anna болеет", nil])
        #expect(replay.events.map(\.clientMessage) == ["Вас примет Борис.", nil, nil])
        #expect(replay.events[0].previous == BookedSlotBody(consultantId: "anna", start: first.start))
        let history: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: second.reference))
        #expect(history.entries.last?.reason == "anna болеет")
        let clients: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: third.reference))
        #expect(clients.entries.last?.reason == "plans changed")

        do {
            let _: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(
                reference: first.reference, start: Self.instant("2026-12-02T15:00:00+03:00"), clientMessage: String(repeating: "x", count: 501), actor: "admin"))
            Issue.record("a client message over 500 characters was taken")
        } catch let error as ProtocolError {
            #expect(error.code == .validationFailed && error.field == "client_message", "\(error)")
        }
        try await suite.stop()
    }

    @Test func aRetryWithTheSameKeyGetsTheSameBytesAndAnotherBodyIsRefused() async throws {
        let suite = try await InProcessSuite.start()
        try await Self.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        let request = try WireJSON.encode(BookRequest(start: Self.instant("2026-12-02T12:00:00+03:00"), contact: Self.contact()))
        let first = try await bookingd.exchange(MessageType.book, body: request, idempotencyKey: "same")
        let again = try await bookingd.exchange(MessageType.book, body: request, idempotencyKey: "same")
        #expect(first.body == again.body)
        let other = try WireJSON.encode(BookRequest(start: Self.instant("2026-12-02T12:30:00+03:00"), contact: Self.contact()))
        await #expect(throws: ProtocolError.self) {
            do {
                _ = try await bookingd.exchange(MessageType.book, body: other, idempotencyKey: "same")
            } catch let error as ProtocolError {
                #expect(error.code == .idempotencyConflict)
                throw error
            }
        }
        let listed: ListReply = try await bookingd.call(MessageType.list, ListRequest())
        #expect(listed.appointments.count == 1)
        try await suite.stop()
    }

    /// Each refusal of the domain, the calendar and the store reaches the client with its own code.
    @Test func refusalsKeepTheirCodes() async throws {
        let suite = try await InProcessSuite.start()
        try await Self.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        func code(_ type: String, _ body: some Encodable) async -> ErrorCode? {
            do {
                _ = try await bookingd.exchange(type, body: try WireJSON.encode(body))
                return nil
            } catch let error as ProtocolError {
                return error.code
            } catch {
                return .internalError
            }
        }
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2026-12-02T11:10:00+03:00"), contact: Self.contact())) == .offGrid)
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2026-12-05T11:00:00+03:00"), contact: Self.contact())) == .outsideWorkingHours)
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2026-11-30T11:00:00+03:00"), contact: Self.contact())) == .inPast)
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2026-12-01T09:00:00+03:00"), contact: Self.contact())) == .tooSoon)
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2027-02-01T11:00:00+03:00"), contact: Self.contact())) == .beyondHorizon)
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2026-12-02T11:00:00+03:00"), contact: Self.contact(), consultantId: "zoe")) == .notFound)
        #expect(await code(MessageType.book, BookRequest(start: Self.instant("2026-12-02T11:00:00+03:00"),
                                                         contact: ContactBody(name: "", email: "x@example.com", phone: "+79161234567"))) == .validationFailed)

        let start = Self.instant("2026-12-02T11:00:00+03:00")
        for n in 1...2 {
            let _: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(start: start, contact: Self.contact(n)))
        }
        #expect(await code(MessageType.book, BookRequest(start: start, contact: Self.contact(3))) == .slotUnavailable)
        let taken: ListReply = try await bookingd.call(MessageType.list, ListRequest())
        let reference = try #require(taken.appointments.first?.reference)
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: reference))
        #expect(await code(MessageType.reschedule, RescheduleRequest(reference: reference, start: Self.instant("2026-12-04T11:00:00+03:00"))) == .invalidTransition)
        #expect(await code(MessageType.get, ReferenceRequest(reference: "BK-7Q2M-X9TD-4KHN-ZP3C")) == .invalidReference)
        try await suite.stop()
    }
}
