import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// availabilityd's library in this process, following bookingd's beside it.
@Suite(.serialized) struct CalendarCommandsTests {
    static func instant(_ text: String) -> Date { ISO8601.parseInstant(text)! }

    static func synced(_ suite: InProcessSuite) async throws -> DaemonClient {
        let availability = try await suite.client(.availabilityd)
        for _ in 0..<100 {
            let ping: PingReply = try await availability.call(MessageType.ping, Empty())
            if ping.state == "ready" { return availability }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("availabilityd never synced")
        return availability
    }

    @Test func aBookingLeavesTheOfferThroughTheEventStream() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        let start = Self.instant("2026-12-02T11:00:00+03:00")
        func free() async throws -> Int? {
            let reply: SlotsReply = try await availability.call(MessageType.slots, SlotsRequest(from: "2026-12-02", days: 1))
            return reply.slots.first { $0.start == start }?.free
        }
        #expect(try await free() == 2)
        let bookingd = try await suite.client(.bookingd)
        let _: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: start, contact: ContactBody(name: "Анна", email: "a@example.com", phone: "+79161234567")))
        var seen: Int?
        for _ in 0..<100 {
            seen = try await free()
            if seen == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen == 1)
        try await suite.stop()
    }

    /// The calendar's refusals keep their own codes at availabilityd's edge.
    @Test(arguments: [
        ("2026-12-02T11:10:00+03:00", nil, ErrorCode.offGrid, "start"),
        ("2026-12-06T11:00:00+03:00", nil, .outsideWorkingHours, "start"),
        ("2026-12-01T08:30:00+03:00", nil, .outsideWorkingHours, "start"),
        ("2026-12-01T09:30:00+03:00", nil, .tooSoon, "start"),
        ("2027-01-20T11:00:00+03:00", nil, .beyondHorizon, "start"),
        ("2026-12-02T11:00:00+03:00", "zoe", .notFound, "consultant_id"),
    ] as [(String, String?, ErrorCode, String)])
    func checkSlotRefusals(start: String, consultant: String?, code: ErrorCode, field: String) async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        do {
            let _: CheckSlotReply = try await availability.call(MessageType.checkSlot, CheckSlotRequest(start: Self.instant(start), consultantId: consultant))
            Issue.record("allowed \(start)")
        } catch let error as ProtocolError {
            #expect(error.code == code, "\(error)")
            #expect(error.field == field)
        }
        try await suite.stop()
    }

    @Test func blockingADayWithBookingsIsRefusedWithTheirReferencesUnlessForced() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        let bookingd = try await suite.client(.bookingd)
        let booked: AppointmentBody = try await bookingd.call(
            MessageType.book, BookRequest(start: Self.instant("2026-12-03T12:00:00+03:00"),
                                          contact: ContactBody(name: "Анна", email: "a@example.com", phone: "+79161234567")))
        do {
            let _: BlockReply = try await availability.call(MessageType.block, BlockRequest(from: "2026-12-03", through: "2026-12-03", reason: "training"))
            Issue.record("blocked over a booking")
        } catch let error as ProtocolError {
            #expect(error.code == .conflict)
            #expect(error.body.references == [booked.reference])
        }
        let forced: BlockReply = try await availability.call(
            MessageType.block, BlockRequest(from: "2026-12-03", through: "2026-12-03", reason: "training", force: true))
        #expect(forced.cancelled == [booked.reference])
        let after: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: booked.reference))
        #expect(after.status == "cancelled")
        try await suite.stop()
    }

    static func book(_ bookingd: DaemonClient, _ start: String, consultant: String?, _ n: Int) async throws -> AppointmentBody {
        try await bookingd.call(MessageType.book, BookRequest(
            start: instant(start), contact: ContactBody(name: "Клиент \(n)", email: "c\(n)@example.com", phone: "+7916123450\(n)"), consultantId: consultant))
    }

    /// `force` first gives each booking to a colleague free at the same time, and cancels only
    /// those nobody can take; the internal reason goes to the history, the client message to the event.
    @Test func forcedTimeOffGivesBookingsToAFreeColleagueAndCancelsOnlyTheRest() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        let bookingd = try await suite.client(.bookingd)
        let movable = try await Self.book(bookingd, "2026-12-03T12:00:00+03:00", consultant: "anna", 1)
        let stuck = try await Self.book(bookingd, "2026-12-03T13:00:00+03:00", consultant: "anna", 2)
        let colleagues = try await Self.book(bookingd, "2026-12-03T13:00:00+03:00", consultant: "boris", 3)

        let reply: WithdrawalReply = try await availability.call(MessageType.timeOffAdd, TimeOffRequest(
            consultantId: "anna", from: "2026-12-03", through: "2026-12-03", reason: "болеет", force: true,
            clientMessage: "Приносим извинения за неудобство."))
        #expect(reply.moved == [MovedBookingBody(reference: movable.reference, consultantId: "boris")])
        #expect(reply.cancelled == [stuck.reference])

        let moved: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: movable.reference))
        #expect(moved.status == "confirmed" && moved.consultantId == "boris" && moved.start == movable.start)
        let cancelled: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: stuck.reference))
        #expect(cancelled.status == "cancelled")
        let untouched: AppointmentBody = try await bookingd.call(MessageType.get, ReferenceRequest(reference: colleagues.reference))
        #expect(untouched.status == "confirmed" && untouched.consultantId == "boris")

        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 3))
        #expect(replay.events.map(\.kind) == [.rescheduled, .cancelled])
        #expect(replay.events.first?.previous == BookedSlotBody(consultantId: "anna", start: movable.start))
        #expect(replay.events.allSatisfy { $0.reason == "The consultant is away: болеет" && $0.actor == "system" })
        #expect(replay.events.allSatisfy { $0.clientMessage == "Приносим извинения за неудобство." })
        let history: HistoryReply = try await bookingd.call(MessageType.history, ReferenceRequest(reference: stuck.reference))
        #expect(history.entries.last?.reason == "The consultant is away: болеет", "the internal reason is kept for admins")
        try await suite.stop()
    }

    @Test func removingAConsultantWithForceMovesTheirBookings() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        let bookingd = try await suite.client(.bookingd)
        let booked = try await Self.book(bookingd, "2026-12-04T10:00:00+03:00", consultant: "boris", 1)
        let reply: WithdrawalReply = try await availability.call(MessageType.consultantRemove, ConsultantRemoveRequest(id: "boris", force: true))
        #expect(reply.moved == [MovedBookingBody(reference: booked.reference, consultantId: "anna")])
        #expect(reply.cancelled.isEmpty)
        // Out of the offer, but notifyd can still tell boris the booking left his calendar.
        let offered: ConsultantsReply = try await availability.call(MessageType.consultants, Empty())
        #expect(offered.consultants.map(\.id) == ["anna"])
        let known: ConsultantsReply = try await availability.call(MessageType.consultants, ConsultantsRequest(includeRemoved: true))
        #expect(known.consultants.map(\.id) == ["anna", "boris"])
        try await suite.stop()
    }

    /// A consultant's notices go to their email: adding one without an address, or with a
    /// malformed one, is refused by name and adds nobody.
    @Test(arguments: [
        (nil, "email", "a consultant needs an email"),
        ("carl.example.com", "email", "name@domain"),
        ("carl@exa mple.com", "email", "domain must not contain"),
    ] as [(String?, String, String)])
    func aConsultantWithoutAValidEmailIsNotAdded(email: String?, field: String, message: String) async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        do {
            let _: ConsultantBody = try await availability.call(
                MessageType.consultantAdd, ConsultantBody(id: "carl", name: "Carl", email: email, timeZone: "Europe/Moscow"))
            Issue.record("added without a valid email: \(email ?? "nil")")
        } catch let error as ProtocolError {
            #expect(error.code == .validationFailed)
            #expect(error.field == field)
            #expect(error.body.message.contains(message), "\(error)")
        }
        let listed: ConsultantsReply = try await availability.call(MessageType.consultants, Empty())
        #expect(listed.consultants.map(\.id) == ["anna", "boris"])
        try await suite.stop()
    }

    /// A consultant's name reaches clients in every message: it is held to a client's rules, on
    /// the wire (control characters) and in the domain (invisible format characters).
    @Test(arguments: ["Carl\nWeber", "Carl\u{202E}rebeW", "Ca\u{200B}rl"])
    func aConsultantsNameRefusesHiddenCharacters(name: String) async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        do {
            let _: ConsultantBody = try await availability.call(
                MessageType.consultantAdd, ConsultantBody(id: "carl", name: name, email: "carl@example.com", timeZone: "Europe/Moscow"))
            Issue.record("added a consultant named \(name.debugDescription)")
        } catch let error as ProtocolError {
            #expect(error.code == .validationFailed)
            #expect(error.field == "name", "\(error)")
        }
        try await suite.stop()
    }

    @Test func aConsultantsNameEmailZoneAndLocaleCanBeEdited() async throws {
        let suite = try await InProcessSuite.start()
        let availability = try await Self.synced(suite)
        let added: ConsultantBody = try await availability.call(
            MessageType.consultantAdd, ConsultantBody(id: "carl", name: "Carl", email: " Carl@Example.com ", timeZone: "Europe/Moscow"))
        #expect(added.email == "Carl@example.com")
        #expect(added.locale == "ru", "the suite's default language")

        let edited: ConsultantBody = try await availability.call(
            MessageType.consultantEdit, ConsultantEditRequest(id: "carl", name: "Carl Weber", email: "carl.weber@example.com", timeZone: "Europe/Berlin", locale: "en"))
        #expect(edited == ConsultantBody(id: "carl", name: "Carl Weber", email: "carl.weber@example.com", timeZone: "Europe/Berlin", locale: "en"))
        let renamed: ConsultantBody = try await availability.call(MessageType.consultantEdit, ConsultantEditRequest(id: "carl", name: "Carl W."))
        #expect(renamed.email == "carl.weber@example.com" && renamed.locale == "en", "what is not given stays")

        for (request, field) in [
            (ConsultantEditRequest(id: "carl", email: "nobody"), "email"),
            (ConsultantEditRequest(id: "carl", timeZone: "Mars/Olympus"), "time_zone"),
            (ConsultantEditRequest(id: "carl", locale: "de"), "locale"),
            (ConsultantEditRequest(id: "carl", name: " "), "name"),
            (ConsultantEditRequest(id: "carl"), "name"),
        ] {
            do {
                let _: ConsultantBody = try await availability.call(MessageType.consultantEdit, request)
                Issue.record("accepted \(request)")
            } catch let error as ProtocolError {
                #expect(error.code == .validationFailed && error.field == field, "\(error)")
            }
        }
        do {
            let _: ConsultantBody = try await availability.call(MessageType.consultantEdit, ConsultantEditRequest(id: "zoe", name: "Zoe"))
            Issue.record("edited an unknown consultant")
        } catch let error as ProtocolError {
            #expect(error.code == .notFound)
        }
        let listed: ConsultantsReply = try await availability.call(MessageType.consultants, Empty())
        #expect(listed.consultants.first { $0.id == "carl" }.map { [$0.name, $0.email, $0.timeZone, $0.locale] } == ["Carl W.", "carl.weber@example.com", "Europe/Berlin", "en"],
                "a refused edit changes nothing")
        try await suite.stop()
    }
}
