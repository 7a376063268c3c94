import BookingDomain
import BookingProtocol
import BookingStore
import Foundation
import Testing

/// The store against a real SQLite file in a temporary directory.
@Suite struct SQLiteBookingStoreTests {
    let temporary = TemporaryDirectory()
    var directory: String { temporary.path }
    let store: SQLiteBookingStore
    let now = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z = 08:00 MSK
    let slot = try! DateTimeRange(start: Date(timeIntervalSince1970: 1_796_194_800), end: Date(timeIntervalSince1970: 1_796_196_600))
    let horizon = Date(timeIntervalSince1970: 1_796_101_200 + 14 * 86_400)

    init() throws {
        store = try SQLiteBookingStore(path: temporary.path + "/bookingd.sqlite")
    }



    func context(_ command: String = "book", key: String? = nil, digest: String = "d", actor: Actor = .client) -> CommandContext {
        CommandContext(command: command, correlationId: UUID().uuidString, idempotencyKey: key, digest: digest, actor: actor, user: nil, now: now)
    }

    func booking(_ n: Int, candidates: [String] = ["anna", "boris"], slot: DateTimeRange? = nil, consultant: String? = nil) throws -> NewBooking {
        NewBooking(
            reference: .random(), slot: slot ?? self.slot, candidates: candidates, requestedConsultant: consultant, horizonEnd: horizon,
            contact: try ContactInfo.validated(name: "Client \(n)", email: "c\(n)@example.com", phone: "+7916123\(String(format: "%04d", n))"),
            timeZone: "Europe/Moscow", locale: "ru"
        )
    }

    @Test func isDurableOnCommit() throws {
        #expect(try store.synchronousSetting() == 2, "synchronous=FULL")
    }

    @Test func booksRecordsHistoryAndAnEventInOneTransaction() async throws {
        let result = try await store.apply(.book(try booking(1)), context: context())
        #expect(result.appointment.status == "confirmed")
        let reference = try BookingReference(parsing: result.appointment.reference)
        let stored = try #require(try await store.appointment(reference: reference))
        #expect(stored.contactInfo.phone == "+79161230001")
        let history = try #require(try await store.history(reference: reference))
        #expect(history.map(\.kind) == ["created"])
        let (events, last) = try await store.events(after: 0, limit: 10)
        #expect(last == 1)
        #expect(events.map(\.kind) == [.created])
        #expect(events.first?.appointment.reference == result.appointment.reference)
    }

    @Test func assignsTheLeastBookedConsultantAndRefusesAFullSlot() async throws {
        let first = try await store.apply(.book(try booking(1)), context: context())
        let second = try await store.apply(.book(try booking(2)), context: context())
        #expect(Set([first.appointment.consultantId, second.appointment.consultantId]) == ["anna", "boris"])
        await #expect(throws: ProtocolError(.slotUnavailable, "no consultant is free at that time; choose another slot")) {
            try await store.apply(.book(try booking(3)), context: context())
        }
        let later = try DateTimeRange(start: slot.end, end: slot.end.addingTimeInterval(1800))
        let third = try await store.apply(.book(try booking(4, slot: later)), context: context())
        #expect(third.appointment.consultantId == "anna", "a tie is broken by id order")
    }

    @Test func concurrentBookingsOfOneSlotGiveOneSuccessWithGapFreeSequences() async throws {
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<50 {
                group.addTask {
                    (try? await store.apply(.book(try booking(n, candidates: ["solo"])), context: context())) != nil
                }
            }
            var successes = 0
            for await success in group where success { successes += 1 }
            return successes
        }
        #expect(outcomes == 1)
        // And many different slots at once: every one booked, sequences 1...n without a gap.
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<40 {
                group.addTask {
                    let start = slot.start.addingTimeInterval(Double(n + 1) * 86_400)
                    let range = try! DateTimeRange(start: start, end: start.addingTimeInterval(1800))
                    return (try? await store.apply(.book(try booking(100 + n, candidates: ["solo"], slot: range)), context: context())) != nil
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(results == 40)
        let (events, last) = try await store.events(after: 0, limit: 1000)
        #expect(last == 41)
        #expect(events.map(\.sequence) == Array(1...41))
    }

    @Test func aRepeatedIdempotencyKeyGetsTheFirstAnswerAndAnotherBodyIsRefused() async throws {
        let first = try await store.apply(.book(try booking(1)), context: context(key: "k"))
        let again = try await store.apply(.book(try booking(1)), context: context(key: "k"))
        #expect(again.replayed)
        #expect(again.appointment == first.appointment)
        await #expect(throws: ProtocolError.self) {
            try await store.apply(.book(try booking(2)), context: context(key: "k", digest: "other"))
        }
        #expect(try await store.events(after: 0, limit: 10).lastSequence == 1)
        #expect(try await store.storedAnswer(idempotencyKey: "k", command: "book", digest: "d")?.appointment == first.appointment)
        #expect(try await store.pruneIdempotencyRecords(olderThan: now.addingTimeInterval(1)) == 1)
    }

    @Test func reschedulesKeepingTheReferenceAndCancelsOnce() async throws {
        let booked = try await store.apply(.book(try booking(1)), context: context())
        let reference = try BookingReference(parsing: booked.appointment.reference)
        let later = try DateTimeRange(start: slot.end, end: slot.end.addingTimeInterval(1800))
        let moved = try await store.apply(
            .reschedule(Move(reference: reference, slot: later, candidates: ["anna", "boris"], requestedConsultant: nil, horizonEnd: horizon, reason: "asked")),
            context: context("reschedule")
        )
        #expect(moved.appointment.reference == booked.appointment.reference)
        #expect(moved.appointment.consultantId == booked.appointment.consultantId, "keeps the consultant when free")
        #expect(moved.appointment.start == later.start)

        let cancelled = try await store.apply(.cancel(reference: reference, reason: "no time"), context: context("cancel"))
        #expect(cancelled.appointment.status == "cancelled")
        await #expect(throws: ProtocolError.self) {
            try await store.apply(.cancel(reference: reference, reason: nil), context: context("cancel"))
        }
        let history = try #require(try await store.history(reference: reference))
        #expect(history.map(\.kind) == ["created", "rescheduled", "cancelled"])
        #expect(history[1].oldStart == slot.start)
        #expect(history[1].newStart == later.start)
        #expect(history[1].reason == "asked")
        let (events, _) = try await store.events(after: 0, limit: 10)
        #expect(events.map(\.kind) == [.created, .rescheduled, .cancelled])
        #expect(events[1].previous?.start == slot.start)

        // The slot is free again for someone else.
        _ = try await store.apply(.book(try booking(2, slot: later)), context: context())
        _ = try await store.apply(.book(try booking(3, slot: later)), context: context())
    }

    @Test func snapshotIsConsistentWithItsSequence() async throws {
        _ = try await store.apply(.book(try booking(1)), context: context())
        let second = try await store.apply(.book(try booking(2)), context: context())
        _ = try await store.apply(.cancel(reference: try BookingReference(parsing: second.appointment.reference), reason: nil), context: context("cancel"))
        let (sequence, booked) = try await store.snapshot(from: now, to: horizon)
        #expect(sequence == 3)
        #expect(booked.count == 1)
    }

    @Test func unknownReferencesAreNotFound() async throws {
        let reference = BookingReference.random()
        #expect(try await store.appointment(reference: reference) == nil)
        #expect(try await store.history(reference: reference) == nil)
        do {
            _ = try await store.apply(.cancel(reference: reference, reason: nil), context: context("cancel"))
            Issue.record("cancelled a missing appointment")
        } catch let error as ProtocolError {
            #expect(error.code == .notFound)
        }
    }

    @Test func survivesReopeningAndRemembersWhatWasPublished() async throws {
        _ = try await store.apply(.book(try booking(1)), context: context())
        try await store.setPublishedThrough(1)
        try store.close()
        let reopened = try SQLiteBookingStore(path: directory + "/bookingd.sqlite")
        #expect(try await reopened.publishedThrough() == 1)
        #expect(try await reopened.appointments(from: nil, to: nil, status: .confirmed, limit: 10).count == 1)
    }
}

extension SQLiteBookingStoreTests {
    @Test func theOutboxPublishesTheStoredEventAsItIs() async throws {
        let booked = try await store.apply(.book(try booking(1)), context: context())
        let outbox = try await store.outbox(after: 0, limit: 10)
        #expect(outbox.map(\.sequence) == [1])
        let (topic, envelope) = try Envelope.decodeEvent(try #require(outbox.first).frames())
        #expect(topic == "booking.created")
        #expect(envelope.header.sequence == 1)
        let event = try envelope.decodeBody(EventBody.self)
        #expect(event.appointment == booked.appointment)
        #expect(event.correlationId == envelope.header.correlationId)
        #expect(try await store.events(after: 0, limit: 10).events == [event])
    }
}

/// A directory that lives as long as the test that made it.
final class TemporaryDirectory: Sendable {
    let path = NSTemporaryDirectory() + "store-\(UUID().uuidString)"

    init() {
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
