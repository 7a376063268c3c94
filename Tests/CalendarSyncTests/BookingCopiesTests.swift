import CalendarSyncStore
import CivilTime
import Foundation
import Testing

/// calsyncd.sqlite's bookings to write: a change arriving while its predecessor is written stays
/// pending, failures wait, and the conflicts of a sync replace the consultant's last ones.
@Suite struct BookingCopiesTests {
    static let now = ISO8601.parseInstant("2026-12-01T08:00:00Z")!

    static func store() throws -> (CalendarSyncStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("copies-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try CalendarSyncStore(path: directory + "/calsyncd.sqlite")
        return (store, directory)
    }

    static func change(_ id: String, _ text: String) -> BookingChange {
        BookingChange(appointmentId: id, consultantId: "anna", appointment: text, end: now.addingTimeInterval(86_400))
    }

    @Test func aChangeWhileWritingStaysPendingAndTheSequenceIsKeptWithIt() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.record([Self.change("a", "v1"), Self.change("b", "v1")], through: 7)
        #expect(try await store.lastSequence() == 7)
        let first = try await store.pendingCopies(at: Self.now, limit: 10)
        #expect(first.map(\.appointmentId).sorted() == ["a", "b"] && first.allSatisfy { $0.version == 1 && $0.isPending })

        // "a" changes while version 1 is being written: recording 1 leaves 2 to write.
        try await store.record([Self.change("a", "v2")], through: 8)
        let remote = RemoteCopy(consultantId: "anna", name: "a.ics", etag: "\"e1\"", start: Self.now)
        try await store.recordWritten("a", version: 1, remote: remote)
        let pending = try await store.pendingCopies(at: Self.now, limit: 10)
        let a = try #require(pending.first { $0.appointmentId == "a" })
        #expect(a.version == 2 && a.writtenVersion == 1 && a.remote == remote && a.appointment == "v2")

        // A failure waits until its time, and is counted.
        try await store.recordWriteFailure("b", connection: nil, error: "down", retryAt: Self.now.addingTimeInterval(60))
        #expect(try await store.pendingCopies(at: Self.now, limit: 10).map(\.appointmentId) == ["a"])
        #expect(try await store.pendingCopies(at: Self.now.addingTimeInterval(61), limit: 10).first { $0.appointmentId == "b" }?.attempts == 1)

        try await store.recordWritten("a", version: 2, remote: remote)
        try await store.rewrite("a", forgettingRemote: true)
        let again = try #require(try await store.pendingCopies(at: Self.now, limit: 10).first { $0.appointmentId == "a" })
        #expect(again.remote == nil && again.version == 3)
        try store.close()
    }

    /// The epoch the last sequence counts in is kept with it, across a reopen.
    @Test func theEpochFollowedIsKept() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try await store.followedEpoch() == nil)
        try await store.keep(epoch: "7-1-16390")
        let reopened = try CalendarSyncStore(path: directory + "/calsyncd.sqlite")
        #expect(try await reopened.followedEpoch() == "7-1-16390")
    }

    @Test func eachSyncsConflictsReplaceTheConsultantsAndOnlyNewOnesAreAnswered() async throws {
        let (store, directory) = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func conflict(_ id: String) -> CalendarConflict {
            CalendarConflict(id: id, consultantId: "anna", kind: .overlap, reference: "BK-1", start: Self.now, eventId: "m", eventStart: nil, foundAt: Self.now)
        }
        #expect(try await store.recordConflicts(consultantId: "anna", found: [conflict("x"), conflict("y")]).map(\.id) == ["x", "y"])
        #expect(try await store.recordConflicts(consultantId: "anna", found: [conflict("x")]).isEmpty)
        #expect(try await store.conflicts(consultantId: "anna", includingPast: false).map(\.id) == ["x"])
        #expect(try await store.conflicts(consultantId: nil, includingPast: true).map(\.id).sorted() == ["x", "y"])
        #expect(try await store.untoldConflicts().map(\.id) == ["x"])
        try await store.markNotified(conflictId: "x")
        #expect(try await store.untoldConflicts().isEmpty)
        try store.close()
    }
}
