import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import StoreSQL
import Testing

/// The store against a real SQLite file in a temporary directory.
@Suite struct SQLiteBookingStoreTests {
    let temporary = TemporaryDirectory()
    var directory: String { temporary.path }
    let store: SQLiteBookingStore
    /// The key the store's database is encrypted with, for a test that opens it again.
    let master = MasterKey(SecretKey.random())
    let now = Date(timeIntervalSince1970: 1_796_101_200)  // 2026-12-01T05:00:00Z = 08:00 MSK
    let slot = try! DateTimeRange(start: Date(timeIntervalSince1970: 1_796_194_800), end: Date(timeIntervalSince1970: 1_796_196_600))
    let horizon = Date(timeIntervalSince1970: 1_796_101_200 + 14 * 86_400)

    init() throws {
        store = try SQLiteBookingStore(path: temporary.path + "/bookingd.sqlite", masterKey: master)
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

    /// SQLite uses a partial index only when the query's WHERE implies the index's: the one
    /// condition for an active appointment must keep reading as the migrations wrote it.
    @Test func queriesOnActiveAppointmentsUseTheirPartialIndexes() async throws {
        let pool = try DatabasePool(path: directory + "/bookingd.sqlite")
        let plan = try await pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT consultant_id FROM appointments WHERE \(AppointmentStatus.activeCondition) AND start_ms >= 0 AND start_ms < 1")
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
        try pool.close()
        #expect(AppointmentStatus.activeCondition == "status IN ('scheduled', 'confirmed')")
        #expect(plan.contains("active_appointments_by_start"), "\(plan)")
    }

    @Test func assignsTheLeastBookedConsultantAndRefusesAFullSlot() async throws {
        let first = try await store.apply(.book(try booking(1)), context: context())
        let second = try await store.apply(.book(try booking(2)), context: context())
        #expect(Set([first.appointment.consultantId, second.appointment.consultantId]) == ["anna", "boris"])
        await #expect(throws: BookingRefusal.noConsultantFree) {
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
        await #expect(throws: IdempotencyKeyReused(key: "k")) {
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
        await #expect(throws: BookingRefusal.notFound(reference)) {
            try await store.apply(.cancel(reference: reference, reason: nil), context: context("cancel"))
        }
    }

    @Test func survivesReopeningAndRemembersWhatWasPublished() async throws {
        _ = try await store.apply(.book(try booking(1)), context: context())
        try await store.setPublishedThrough(1)
        try store.close()
        let reopened = try SQLiteBookingStore(path: directory + "/bookingd.sqlite", masterKey: master)
        #expect(try await reopened.publishedThrough() == 1)
        #expect(try await reopened.appointments(from: nil, to: nil, status: .confirmed, limit: 10).count == 1)
    }
}

extension SQLiteBookingStoreTests {
    /// The epoch is the database's: the same however often it is opened, new once restored.
    @Test func theEpochStaysWithTheDatabaseUntilARestoreRenewsIt() async throws {
        let epoch = try await store.epoch()
        #expect(!epoch.isEmpty)
        try store.close()
        let path = directory + "/bookingd.sqlite"
        #expect(try await SQLiteBookingStore(path: path, masterKey: master).epoch() == epoch)
        try SQLiteBookingStore.renewEpoch(at: path)
        let restored = try SQLiteBookingStore(path: path, masterKey: master)
        #expect(try await restored.epoch() != epoch)
        let other = try SQLiteBookingStore(path: directory + "/other.sqlite", masterKey: master)
        #expect(try await other.epoch() != epoch, "each database has its own")
    }

    @Test func theOutboxPublishesTheStoredEventAsItIs() async throws {
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
    }
}

extension SQLiteBookingStoreTests {
    /// Twenty bookings of one contact at once, each for its own slot, through group commit.
    func raceOfOneContact(email: (Int) -> String, phone: (Int) -> String) async throws -> (booked: Int, refusals: [BookingRefusal]) {
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

    @Test func theContactLimitHoldsUnderConcurrentBookingsOfOneEmail() async throws {
        let (booked, refusals) = try await raceOfOneContact(email: { $0.isMultiple(of: 2) ? "race@example.com" : "RACE@example.com" },
                                                             phone: { "+7916555\(String(format: "%04d", $0))" })
        #expect(booked == 2)
        #expect(refusals == Array(repeating: .contactLimitReached(limit: 2, field: .email), count: 18))
    }

    @Test func theContactLimitHoldsUnderConcurrentBookingsOfOnePhone() async throws {
        let (booked, refusals) = try await raceOfOneContact(email: { "c\($0)@example.com" }, phone: { _ in "+79165550000" })
        #expect(booked == 2)
        #expect(refusals == Array(repeating: .contactLimitReached(limit: 2, field: .phone), count: 18))
    }

    @Test func pastAndCancelledBookingsDoNotCountAgainstTheLimit() async throws {
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
    }

    @Test func aDatabaseOfTheOldSchemaGetsRevisionsFromItsHistory() async throws {
        let path = directory + "/old.sqlite"
        let old = try DatabasePool(path: path)
        try Schema.migrator(master: master).migrate(old, upTo: "v3: a contact's appointments")
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO clients (id, email, created_at) VALUES ('00000000-0000-0000-0000-000000000001', 'old@example.com', 0);
                INSERT INTO appointments (id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                                          time_zone, locale, created_at, updated_at, reminder_sent)
                VALUES ('00000000-0000-0000-0000-0000000000aa', ?, '00000000-0000-0000-0000-000000000001', 'anna', 1796194800000, 1796196600000,
                        'cancelled', 'Old Client', 'old@example.com', '+79161234567', NULL, 'Europe/Moscow', 'ru', 0, 0, 1);
                INSERT INTO history (appointment_id, kind, to_status, actor, at) VALUES
                    ('00000000-0000-0000-0000-0000000000aa', 'created', 'confirmed', 'client', 0),
                    ('00000000-0000-0000-0000-0000000000aa', 'reminder_sent', 'confirmed', 'system', 1),
                    ('00000000-0000-0000-0000-0000000000aa', 'rescheduled', 'confirmed', 'client', 2),
                    ('00000000-0000-0000-0000-0000000000aa', 'cancelled', 'cancelled', 'client', 3);
                INSERT INTO audit (at, actor, user, command, reference, correlation_id, outcome) VALUES (0, 'admin', 'ops', 'pause', NULL, 'c', 'ok');
                """, arguments: [BookingReference.random().description])
        }
        try old.close()
        let reopened = try SQLiteBookingStore(path: path, masterKey: master)
        let appointments = try await reopened.appointments(from: nil, to: nil, status: nil, limit: 10)
        #expect(appointments.map(\.revision) == [2])
        #expect(appointments.map(\.contactInfo.email) == ["old@example.com"])
    }

    @Test func anAppointmentRowThatCannotBeReadIsATypedError() async throws {
        let booked = try await store.apply(.book(try booking(1)), context: context())
        var handEdited = Configuration()
        handEdited.foreignKeysEnabled = false
        let pool = try DatabasePool(path: directory + "/bookingd.sqlite", configuration: handEdited)
        try await pool.write { db in try db.execute(sql: "UPDATE appointments SET client_id = 'not-a-uuid'") }
        try pool.close()
        await #expect(throws: StoreError.unreadableRow(table: "appointments", key: booked.appointment.reference,
                                                        problem: "column client_id holds 'not-a-uuid', which is not a valid UUID")) {
            try await store.appointment(reference: try BookingReference(parsing: booked.appointment.reference))
        }
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
