import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import Testing

/// What bookingd keeps of the calendar feeds (a generation and a revocation per scope, never a
/// token), and which appointments a feed holds, on each engine.
@Suite struct FeedStoreTests {
    let now = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z

    @Test(arguments: StoreEngine.allCases) func aFeedStartsServedAtItsFirstAddressThenRotatesAndIsRevoked(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(engine)
        let store = fixture.store
        #expect(try await store.feedState(scope: "anna") == .initial("anna"))
        let rotated = try await store.rotateFeed(scope: "anna", at: now)
        #expect(rotated == FeedState(scope: "anna", generation: 2, revokedAt: nil))
        let revoked = try await store.revokeFeed(scope: "anna", at: now.addingTimeInterval(60))
        #expect(revoked == FeedState(scope: "anna", generation: 2, revokedAt: now.addingTimeInterval(60)))
        let again = try await store.revokeFeed(scope: "anna", at: now.addingTimeInterval(120))
        #expect(again.revokedAt == now.addingTimeInterval(60), "revoking again keeps when it was first revoked")
        let served = try await store.rotateFeed(scope: "anna", at: now.addingTimeInterval(180))
        #expect(served == FeedState(scope: "anna", generation: 3, revokedAt: nil), "a rotation serves it again, at a new address")
        #expect(try await store.feedState(scope: "team") == .initial("team"), "each scope has its own")
        let teamRevoked = try await store.revokeFeed(scope: "team", at: now)
        #expect(teamRevoked == FeedState(scope: "team", generation: 1, revokedAt: now), "a feed never rotated is revoked at its first address")
        withExtendedLifetime(fixture) {}
    }

    @Test(arguments: StoreEngine.allCases) func aFeedHoldsTheAppointmentsNotCancelledFromItsStartByStartAndPagesByIdCursor(engine: StoreEngine) async throws {
        let fixture = try await StoreFixture(engine)
        let store = fixture.store
        func slot(hours: Double) throws -> DateTimeRange {
            let start = fixture.slot.start.addingTimeInterval(hours * 3600)
            return try DateTimeRange(start: start, end: start.addingTimeInterval(1800))
        }
        var booked: [AppointmentBody] = []
        for (n, hours, consultant) in [(1, 0.0, "anna"), (2, 0.0, "boris"), (3, 1.0, "anna"), (4, -48.0, "anna"), (5, 2.0, "anna")] {
            let result = try await store.apply(.book(try fixture.booking(n, slot: try slot(hours: hours), consultant: consultant)), context: fixture.context())
            booked.append(result.appointment)
        }
        let cancelled = try BookingReference(parsing: booked[4].reference)
        _ = try await store.apply(.cancel(reference: cancelled, reason: nil), context: fixture.context("cancel"))
        let from = fixture.slot.start.addingTimeInterval(-24 * 3600)

        let team = try await store.feedAppointments(consultantId: nil, from: from, after: nil, limit: 10)
        #expect(team.map { $0.id.uuidString.lowercased() } == [booked[0].id, booked[1].id, booked[2].id],
                "by start, then consultant; the one before `from` and the cancelled one are not held")
        let anna = try await store.feedAppointments(consultantId: "anna", from: from, after: nil, limit: 10)
        #expect(anna.map(\.consultantId) == ["anna", "anna"])
        #expect(anna.map { $0.id.uuidString.lowercased() } == [booked[0].id, booked[2].id])

        let first = try await store.feedAppointments(consultantId: nil, from: from, after: nil, limit: 2)
        let rest = try await store.feedAppointments(consultantId: nil, from: from, after: first.last?.id.uuidString.lowercased(), limit: 2)
        #expect((first + rest).map(\.id) == team.map(\.id), "the pages, one after the other, are the whole")
        let none = try await store.feedAppointments(consultantId: nil, from: from, after: UUID().uuidString.lowercased(), limit: 2)
        #expect(none.isEmpty, "a cursor that names no appointment gives an empty page")
        withExtendedLifetime(fixture) {}
    }
}
