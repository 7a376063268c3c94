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
}
