import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import StoreSQL
import Testing

/// `BookingStore`'s behaviour, the same on each engine: every test runs on SQLite and on PostgreSQL.
@Suite struct SharedStoreTests: StoreScenario {
    @Test(arguments: StoreEngine.allCases) func booksRecordsHistoryAndAnEventInOneTransaction(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
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
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func assignsTheLeastBookedConsultantAndRefusesAFullSlot(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let first = try await store.apply(.book(try booking(1)), context: context())
        let second = try await store.apply(.book(try booking(2)), context: context())
        #expect(Set([first.appointment.consultantId, second.appointment.consultantId]) == ["anna", "boris"])
        await #expect(throws: BookingRefusal.noConsultantFree) {
            try await store.apply(.book(try booking(3)), context: context())
        }
        let later = try DateTimeRange(start: slot.end, end: slot.end.addingTimeInterval(1800))
        let third = try await store.apply(.book(try booking(4, slot: later)), context: context())
        #expect(third.appointment.consultantId == "anna", "a tie is broken by id order")
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func concurrentBookingsOfOneSlotGiveOneSuccessWithGapFreeSequences(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
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
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func aRepeatedIdempotencyKeyGetsTheFirstAnswerAndAnotherBodyIsRefused(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let first = try await store.apply(.book(try booking(1)), context: context(key: "k"))
        let again = try await store.apply(.book(try booking(1)), context: context(key: "k"))
        #expect(again.replayed)
        #expect(again.appointment == first.appointment)
        await #expect(throws: IdempotencyKeyReused(key: "k")) {
            try await store.apply(.book(try booking(2)), context: context(key: "k", digest: "other"))
        }
        #expect(try await store.events(after: 0, limit: 10).lastSequence == 1)
        #expect(try await store.storedAnswer(idempotencyKey: "k", command: "book", digest: "d")?.appointment == first.appointment)
        #expect(try await store.pruneIdempotencyRecords(olderThan: now.addingTimeInterval(1)) == 1)
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func reschedulesKeepingTheReferenceAndCancelsOnce(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
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
        await #expect(throws: BookingRefusal.transition(.invalidTransition(from: .cancelled, to: .cancelled))) {
            try await store.apply(.cancel(reference: reference, reason: nil), context: context("cancel"))
        }
        #expect(try await store.appointment(reference: reference)?.revision == 2, "a reschedule and a cancel")
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
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func snapshotIsConsistentWithItsSequence(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        _ = try await store.apply(.book(try booking(1)), context: context())
        let second = try await store.apply(.book(try booking(2)), context: context())
        _ = try await store.apply(.cancel(reference: try BookingReference(parsing: second.appointment.reference), reason: nil), context: context("cancel"))
        let (sequence, booked) = try await store.snapshot(from: now, to: horizon)
        #expect(sequence == 3)
        #expect(booked.count == 1)
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func unknownReferencesAreNotFound(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let reference = BookingReference.random()
        #expect(try await store.appointment(reference: reference) == nil)
        #expect(try await store.history(reference: reference) == nil)
        await #expect(throws: BookingRefusal.notFound(reference)) {
            try await store.apply(.cancel(reference: reference, reason: nil), context: context("cancel"))
        }
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func theOutboxPublishesTheStoredEventAsItIs(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let booked = try await store.apply(.book(try booking(1)), context: context())
        let outbox = try await store.outbox(after: 0, limit: 10)
        #expect(outbox.map(\.sequence) == [1])
        let (topic, envelope) = try Envelope.decodeEvent(try #require(outbox.first).frames(epoch: nil))
        #expect(topic == "booking.created")
        #expect(envelope.header.sequence == 1)
        let event = try envelope.decodeBody(EventBody.self)
        var masked = booked.appointment
        masked.contact = ContactBody(name: "C*** 1***", email: "c***@example.com", phone: "+7916*****01")
        #expect(event.appointment == masked)
        #expect(event.correlationId == envelope.header.correlationId)
        #expect(try await store.events(after: 0, limit: 10).events == [event])
        withExtendedLifetime(tests) {}
    }

    /// One email (in either case) with twenty phones, or one phone with twenty emails.
    @Test(arguments: StoreEngine.allCases, [ContactField.email, .phone])
    func theContactLimitHoldsUnderConcurrentBookingsOfOneContact(engine: StoreEngine, shared field: ContactField) async throws {
        let tests = try await StoreFixture(engine)
        let (booked, refusals) = field == .email
            ? try await raceOfOneContact(tests.store, email: { $0.isMultiple(of: 2) ? "race@example.com" : "RACE@example.com" },
                                         phone: { "+7916555\(String(format: "%04d", $0))" })
            : try await raceOfOneContact(tests.store, email: { "c\($0)@example.com" }, phone: { _ in "+79165550000" })
        #expect(booked == 2)
        #expect(refusals == Array(repeating: .contactLimitReached(limit: 2, field: field), count: 18))
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func pastAndCancelledBookingsDoNotCountAgainstTheLimit(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        var limited = try booking(1)
        limited.contactLimit = 1
        let first = try await store.apply(.book(limited), context: context())
        _ = try await store.apply(.cancel(reference: try BookingReference(parsing: first.appointment.reference), reason: nil), context: context("cancel"))
        limited.reference = .random()
        _ = try await store.apply(.book(limited), context: context())
        limited.reference = .random()
        await #expect(throws: BookingRefusal.contactLimitReached(limit: 1, field: .email)) {
            try await store.apply(.book(limited), context: context())
        }
        withExtendedLifetime(tests) {}
    }

    /// Twenty bookings of one contact at once, each for its own slot, (on SQLite through group commit, on PostgreSQL each in its own transaction).
    func raceOfOneContact(_ store: any BookingStore, email: (Int) -> String, phone: (Int) -> String) async throws -> (booked: Int, refusals: [BookingRefusal]) {
        let contacts = try (0..<20).map { n in try ContactInfo.validated(name: "Client", email: email(n), phone: phone(n)) }
        return await withTaskGroup(of: Result<ChangeResult, any Error>.self) { group in
            for (n, contact) in contacts.enumerated() {
                group.addTask {
                    let start = slot.start.addingTimeInterval(Double(n) * 1800)
                    let range = try! DateTimeRange(start: start, end: start.addingTimeInterval(1800))
                    let booking = NewBooking(
                        reference: .random(), slot: range, candidates: ["anna"], requestedConsultant: nil, horizonEnd: horizon,
                        contact: contact,
                        timeZone: "Europe/Moscow", locale: "ru", contactLimit: 2
                    )
                    do {
                        return .success(try await store.apply(.book(booking), context: context()))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var booked = 0
            var refusals: [BookingRefusal] = []
            for await result in group {
                switch result {
                case .success: booked += 1
                case .failure(let error): refusals.append(error as? BookingRefusal ?? .slotTaken)
                }
            }
            return (booked, refusals)
        }
    }
}
