import BookingDomain
import BookingProtocol
@testable import BookingStore
import FieldEncryption
import Foundation
import GRDB
import SQLiteStorage
import SharedTables
import StoreSQL
import SuiteTesting
import Testing

/// Clients' personal data in bookingd's database: sealed at rest (a database of the schema
/// before is sealed in place), found by blind indexes (on each engine), and kept out of the events.
@Suite struct PersonalDataTests {
    let tests = try! SQLiteBookingStoreTests()
    var store: SQLiteBookingStore { tests.store }
    var later: DateTimeRange { try! DateTimeRange(start: tests.slot.end, end: tests.slot.end.addingTimeInterval(1800)) }

    static let ivan = try! ContactInfo.validated(name: "Иван Петров", email: "ivan.petrov@example.com", phone: "+79161234567", company: "ООО «Ромашка»")
    static let ivanInLatin = try! ContactInfo.validated(name: "Ivan Petrov", email: "ivan.petrov@example.com", phone: "+79161234567", company: "Romashka LLC")
    /// Everything of Ivan's the tests store, and the parts of it a search should find as well.
    static let ivansData = [
        "Иван Петров", "Иван", "Петров", "Ivan Petrov", "Ivan", "Petrov", "ivan.petrov@example.com", "ivan.petrov", "+79161234567", "79161234567",
        "ООО «Ромашка»", "Ромашка", "Romashka LLC", "Romashka", "Налоговый вычет за квартиру", "Tax deduction for the flat",
        "Мне неудобно утром", "Передумал, спасибо",
    ]

    func booking(_ contact: ContactInfo, slot: DateTimeRange? = nil, topic: String? = nil, limit: Int? = nil) -> NewBooking {
        NewBooking(reference: .random(), slot: slot ?? tests.slot, candidates: ["anna", "boris"], requestedConsultant: nil, horizonEnd: tests.horizon,
                   contact: contact, timeZone: "Europe/Moscow", locale: "ru", contactLimit: limit, topic: topic)
    }

    func move(_ reference: BookingReference, to slot: DateTimeRange, reason: String?) -> Change {
        .reschedule(Move(reference: reference, slot: slot, candidates: ["anna", "boris"], requestedConsultant: nil, horizonEnd: tests.horizon,
                         reason: reason, clientMessage: nil))
    }

    // MARK: At rest

    @Test func noFileOfTheDatabaseHoldsAClientsDataInAnyEncoding() async throws {
        let cyrillic = try await store.apply(.book(booking(Self.ivan, topic: "Налоговый вычет за квартиру")), context: tests.context(key: "k-1"))
        let latin = try await store.apply(.book(booking(Self.ivanInLatin, slot: later, topic: "Tax deduction for the flat")), context: tests.context(key: "k-2"))
        let earlier = try DateTimeRange(start: tests.slot.start.addingTimeInterval(-86_400), end: tests.slot.end.addingTimeInterval(-86_400))
        _ = try await store.apply(move(try BookingReference(parsing: latin.appointment.reference), to: earlier, reason: "Мне неудобно утром"),
                                  context: tests.context("reschedule", key: "k-3"))
        _ = try await store.apply(.cancel(reference: try BookingReference(parsing: cyrillic.appointment.reference), reason: "Передумал, спасибо"),
                                  context: tests.context("cancel", key: "k-4"))
        // Everything reads back, so what the search does not find is there, sealed.
        let read = try await store.appointments(from: nil, to: nil, status: nil, limit: 10)
        #expect(Set(read.map(\.contactInfo)) == [Self.ivan, Self.ivanInLatin])
        #expect(try await store.history(reference: try BookingReference(parsing: latin.appointment.reference))?.last?.reason == "Мне неудобно утром")

        let whileOpen = try PlaintextSearch.occurrences(of: Self.ivansData, inFilesUnder: tests.directory)
        #expect(whileOpen == [], "the database, its -wal and -shm")
        try store.close()
        let closed = try PlaintextSearch.occurrences(of: Self.ivansData, inFilesUnder: tests.directory)
        #expect(closed == [])
    }

    @Test(arguments: [
        SealedContact(name: "Иван \"Ваня\" Петров\\", email: "ivan@example.com", phone: "+79161234567", company: "ООО «Ромашка»",
                      topic: "Вычет\nза квартиру\t/ 2026"),
        SealedContact(name: "Ivan", email: "ivan@example.com", phone: "", company: nil, topic: nil),
    ])
    func aSealedContactIsWrittenAsCodableWritesIt(contact: SealedContact) throws {
        var writer = JSONWriter()
        contact.writeJSON(to: &writer)
        #expect(try JSONDecoder().decode(SealedContact.self, from: Data(writer.bytes)) == contact)
        let ours = try JSONSerialization.jsonObject(with: Data(writer.bytes)) as? NSDictionary
        let theirs = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(contact)) as? NSDictionary
        #expect(ours == theirs)
    }

    @Test func aSealedContactCopiedToAnotherRowDoesNotOpen() async throws {
        // One client, so one key: only the row the seal is bound to differs.
        let first = try await store.apply(.book(booking(Self.ivan)), context: tests.context())
        let second = try await store.apply(.book(booking(Self.ivan, slot: later)), context: tests.context())
        let pool = try DatabasePool(path: tests.directory + "/bookingd.sqlite")
        try await pool.write { db in
            try db.execute(sql: "UPDATE appointments SET contact = (SELECT contact FROM appointments WHERE id = ?) WHERE id = ?",
                           arguments: [first.appointment.id, second.appointment.id])
        }
        try pool.close()
        let binding = FieldBinding.appointmentContact(second.appointment.id)
        await #expect(throws: StoreError.unreadableRow(table: "appointments", key: second.appointment.reference,
                                                        problem: "contact: \(SealError.doesNotOpen(binding))")) {
            try await store.appointment(reference: try BookingReference(parsing: second.appointment.reference))
        }
        #expect(try await store.appointment(reference: try BookingReference(parsing: first.appointment.reference))?.contactInfo == Self.ivan)
    }

    @Test func aDatabaseOpensOnlyWithItsMasterKey() async throws {
        _ = try await store.apply(.book(booking(Self.ivan)), context: tests.context())
        try store.close()
        let other = MasterKey(SecretKey.random())
        #expect(throws: StoreError.cannotOpen(path: tests.directory + "/bookingd.sqlite",
                                              problem: "\(KeyMismatch(expected: tests.master.fingerprint, given: other.fingerprint))")) {
            try SQLiteBookingStore(path: tests.directory + "/bookingd.sqlite", masterKey: other)
        }
        let reopened = try SQLiteBookingStore(path: tests.directory + "/bookingd.sqlite", masterKey: tests.master)
        #expect(try await reopened.appointments(from: nil, to: nil, status: nil, limit: 10).map(\.contactInfo) == [Self.ivan])
    }

    // MARK: Events

    @Test(arguments: StoreEngine.allCases) func eventsCarryTheContactMaskedAndNotTheClientsWordsWhileRepliesKeepThemWhole(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let held = booking(Self.ivan, topic: "Налоговый вычет за квартиру")
        let booked = try await store.apply(.book(held), context: tests.context(key: "k-1"))
        #expect(booked.appointment.contact == ContactBody(Self.ivan), "the reply to the client has their contact")
        #expect(booked.appointment.topic == "Налоговый вычет за квартиру")
        #expect(try await store.storedAnswer(idempotencyKey: "k-1", command: "book", digest: "d")?.reply == booked.reply, "and so does its retry")
        _ = try await store.apply(move(held.reference, to: later, reason: "Мне неудобно утром"), context: tests.context("reschedule"))
        _ = try await store.apply(.cancel(reference: held.reference, reason: "консультант заболел", clientMessage: "Приносим извинения"),
                                  context: tests.context("cancel", actor: .admin))

        let masked = ContactBody(name: "И*** П***", email: "i***@example.com", phone: "+7916*****67")
        let (events, _) = try await store.events(after: 0, limit: 10)
        #expect(events.map(\.kind) == [.created, .rescheduled, .cancelled])
        #expect(events.map(\.appointment.contact) == [masked, masked, masked])
        #expect(events.allSatisfy { $0.appointment.topic == nil })
        #expect(events[1].reason == nil && events[1].clientMessage == nil, "a client's own words stay out")
        #expect(events[1].previous == BookedSlotBody(consultantId: booked.appointment.consultantId, start: tests.slot.start))
        #expect(events[2].reason == "консультант заболел" && events[2].clientMessage == "Приносим извинения", "an admin's stay")
        #expect(events[2].previous == nil)
        // The events table itself, as the outbox publishes and replay sends it.
        for event in try await store.outbox(after: 0, limit: 10) {
            let body = String(decoding: event.body, as: UTF8.self)
            for value in Self.ivansData {
                #expect(!body.contains(value), "event \(event.sequence) holds \(value)")
            }
        }
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func personalDataGivesTheFullContactAndTheClientsOwnWordsOnTheirChange(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let held = booking(Self.ivan, topic: "Налоговый вычет за квартиру")
        _ = try await store.apply(.book(held), context: tests.context())
        _ = try await store.apply(move(held.reference, to: later, reason: "Мне неудобно утром"), context: tests.context("reschedule"))
        _ = try await store.apply(.cancel(reference: held.reference, reason: "консультант заболел", clientMessage: "Приносим извинения"),
                                  context: tests.context("cancel", actor: .admin))
        let (events, _) = try await store.events(after: 0, limit: 10)
        #expect(try await store.personalData(reference: held.reference, eventId: events[1].id)
            == PersonalData(contact: Self.ivan, topic: "Налоговый вычет за квартиру", clientMessage: "Мне неудобно утром"))
        #expect(try await store.personalData(reference: held.reference, eventId: events[2].id)?.clientMessage == nil, "an admin's change")
        #expect(try await store.personalData(reference: held.reference, eventId: nil)?.contact == Self.ivan)
        #expect(try await store.personalData(reference: .random(), eventId: nil) == nil)
        let history = try #require(try await store.history(reference: held.reference))
        #expect(history.map(\.reason) == [nil, "Мне неудобно утром", "консультант заболел"])
        withExtendedLifetime(tests) {}
    }

    // MARK: Blind indexes

    @Test(arguments: StoreEngine.allCases) func theContactLimitAndAContactsBookingsFindTheEmailInAnyCaseAndThePhone(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        let first = try ContactInfo.validated(name: "Ivan Petrov", email: "Ivan.Petrov@example.com", phone: "+79161234567")
        _ = try await store.apply(.book(booking(first, limit: 1)), context: tests.context())
        let sameEmail = try ContactInfo.validated(name: "Ivan Petrov", email: "ivan.petrov@EXAMPLE.com", phone: "+79035550123")
        await #expect(throws: BookingRefusal.contactLimitReached(limit: 1, field: .email)) {
            try await store.apply(.book(booking(sameEmail, slot: later, limit: 1)), context: tests.context())
        }
        let samePhone = try ContactInfo.validated(name: "Someone Else", email: "someone@example.com", phone: "+79161234567")
        await #expect(throws: BookingRefusal.contactLimitReached(limit: 1, field: .phone)) {
            try await store.apply(.book(booking(samePhone, slot: later, limit: 1)), context: tests.context())
        }
        let other = try ContactInfo.validated(name: "Anna", email: "anna@example.com", phone: "+79035550123")
        _ = try await store.apply(.book(booking(other, slot: later, limit: 1)), context: tests.context())

        let byEmail = try await store.appointments(from: nil, to: nil, status: nil, limit: 10, email: "IVAN.PETROV@example.com", phone: nil, after: nil)
        #expect(byEmail.map(\.contactInfo) == [first])
        let byPhone = try await store.appointments(from: nil, to: nil, status: nil, limit: 10, email: nil, phone: "+79035550123", after: nil)
        #expect(byPhone.map(\.contactInfo) == [other])
        let byEither = try await store.appointments(from: nil, to: nil, status: nil, limit: 10, email: "ivan.petrov@example.com", phone: "+79035550123", after: nil)
        #expect(byEither.count == 2)
        withExtendedLifetime(tests) {}
    }

    @Test(arguments: StoreEngine.allCases) func aContactIsKnownByTheirEmailInAnyCaseOnceTheyConfirmedAHold(engine: StoreEngine) async throws {
        let tests = try await StoreFixture(engine)
        let store = tests.store
        var held = booking(Self.ivan)
        held.hold = Hold(expiresAt: tests.now.addingTimeInterval(900), confirmation: ConfirmationBody(token: "t", code: "123456"))
        _ = try await store.apply(.book(held), context: tests.context())
        #expect(try await store.isKnownContact(email: "Ivan.Petrov@example.com") == false)
        _ = try await store.apply(.confirm(reference: held.reference), context: tests.context("confirm"))
        #expect(try await store.isKnownContact(email: "Ivan.Petrov@example.com"))
        #expect(try await store.isKnownContact(email: "anna@example.com") == false)
        withExtendedLifetime(tests) {}
    }
}

/// A database of the schema before sealing (v6), filled through SQL as bookingd wrote it, then
/// opened by today's store.
extension PersonalDataTests {
    static let ivanId = "00000000-0000-0000-0000-000000000001"
    /// Ivan again, his email typed with capitals: one client once sealed, found by one index.
    static let ivanAgainId = "00000000-0000-0000-0000-000000000002"
    static let annaId = "00000000-0000-0000-0000-000000000003"

    func appointment(_ n: Int, clientId: String, contact: ContactInfo, status: String, start: Date, topic: String?, meeting: MeetingBody?,
                     hold: Date? = nil) -> AppointmentBody {
        AppointmentBody(
            reference: BookingReference.random().description, id: "00000000-0000-0000-0000-0000000000a\(n)", clientId: clientId, consultantId: "anna",
            start: start, end: start.addingTimeInterval(1800), status: status, contact: ContactBody(contact), timeZone: "Europe/Moscow", locale: "ru",
            createdAt: tests.now, updatedAt: tests.now, reminderSent: false, revision: n == 1 ? 1 : 0, meeting: meeting, topic: topic, holdExpiresAt: hold
        )
    }

    @Test func aDatabaseOfTheSchemaBeforeIsSealedInPlaceWithNothingLost() async throws {
        let directory = tests.directory + "/v6"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/bookingd.sqlite"
        let anna = try ContactInfo.validated(name: "Anna Smirnova", email: "anna@example.com", phone: "+79035550123")
        let ivanAgain = try ContactInfo.validated(name: "Ivan Petrov", email: "Ivan.Petrov@example.com", phone: "+79161234567", company: "Romashka LLC")
        let office = MeetingBody(format: "office", address: "Москва, Тверская ул., 1")
        let first = appointment(1, clientId: Self.ivanId, contact: Self.ivan, status: "confirmed", start: later.start,
                                topic: "Налоговый вычет за квартиру", meeting: office)
        let held = appointment(2, clientId: Self.ivanAgainId, contact: ivanAgain, status: "scheduled", start: tests.slot.start,
                               topic: "Tax deduction for the flat", meeting: nil, hold: tests.now.addingTimeInterval(900))
        let cancelled = appointment(3, clientId: Self.annaId, contact: anna, status: "cancelled", start: tests.slot.start, topic: nil, meeting: nil)
        let reply = try WireJSON.encode(first)
        let events = [
            EventBody(sequence: 1, id: "e-1", kind: .created, occurredAt: tests.now, appointment: first, actor: "client", correlationId: "c-1"),
            EventBody(sequence: 2, id: "e-2", kind: .rescheduled, occurredAt: tests.now, appointment: first,
                      previous: BookedSlotBody(consultantId: "anna", start: tests.slot.start), actor: "client",
                      reason: "Мне неудобно утром", clientMessage: "Мне неудобно утром", correlationId: "c-2"),
            EventBody(sequence: 3, id: "e-3", kind: .created, occurredAt: tests.now, appointment: held, actor: "client", correlationId: "c-3"),
            EventBody(sequence: 4, id: "e-4", kind: .cancelled, occurredAt: tests.now, appointment: cancelled, actor: "admin",
                      reason: "дубль", clientMessage: "Приносим извинения", correlationId: "c-4"),
        ]

        let old = try DatabasePool(path: path)
        try Schema.migrator(master: tests.master).migrate(old, upTo: "v6: holds")
        try await old.write { db in
            for (id, email, created) in [(Self.ivanId, "ivan.petrov@example.com", 0), (Self.ivanAgainId, "Ivan.Petrov@example.com", 1),
                                         (Self.annaId, "anna@example.com", 2)] {
                try db.execute(sql: "INSERT INTO clients (id, email, created_at) VALUES (?, ?, ?)", arguments: [id, email, created])
            }
            for body in [first, held, cancelled] {
                try db.execute(sql: """
                    INSERT INTO appointments (id, reference, client_id, consultant_id, start_ms, end_ms, status, name, email, phone, company,
                                              time_zone, locale, created_at, updated_at, reminder_sent, revision,
                                              meeting_format, meeting_link, meeting_address, topic, hold_expires_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        body.id, body.reference, body.clientId, body.consultantId, Millis.of(body.start), Millis.of(body.end), body.status,
                        body.contact.name, body.contact.email, body.contact.phone, body.contact.company, body.timeZone, body.locale,
                        Millis.of(body.createdAt), Millis.of(body.updatedAt), body.reminderSent, body.revision,
                        body.meeting?.format, body.meeting?.link, body.meeting?.address, body.topic, body.holdExpiresAt.map(Millis.of),
                    ])
            }
            try db.execute(sql: """
                INSERT INTO history (appointment_id, kind, from_status, to_status, actor, reason, at, correlation_id) VALUES
                    (?, 'created', NULL, 'confirmed', 'client', NULL, 0, 'c-1'),
                    (?, 'rescheduled', 'confirmed', 'confirmed', 'client', 'Мне неудобно утром', 1, 'c-2'),
                    (?, 'created', NULL, 'scheduled', 'client', NULL, 2, 'c-3'),
                    (?, 'cancelled', 'confirmed', 'cancelled', 'admin', 'дубль', 3, 'c-4');
                """, arguments: [first.id, first.id, held.id, cancelled.id])
            try db.execute(sql: "INSERT INTO idempotency (key, command, digest, reply, created_at) VALUES ('k-1', 'book', 'd', ?, 0)",
                           arguments: [Data(reply)])
            for event in events {
                try db.execute(sql: "INSERT INTO events (sequence, id, kind, appointment_id, body, correlation_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)",
                               arguments: [Int64(event.sequence), event.id, event.kind.rawValue, event.appointment.id, Data(try WireJSON.encode(event)),
                                           event.correlationId])
            }
        }
        try old.close()
        #expect(try PlaintextSearch.occurrences(of: ["Иван Петров", "anna@example.com"], inFilesUnder: directory)
            == ["bookingd.sqlite: Иван Петров (UTF-8)", "bookingd.sqlite: anna@example.com (UTF-8)"], "the search finds what is there")

        let store = try SQLiteBookingStore(path: path, masterKey: tests.master)
        // Every appointment reads back as it was; Ivan's two clients are one now.
        let read = try await store.appointments(from: nil, to: nil, status: nil, limit: 10).map(AppointmentBody.init)
        var merged = held
        merged.clientId = Self.ivanId
        #expect(Set(read.map(\.reference)) == Set([first, held, cancelled].map(\.reference)))
        #expect(read.sorted { $0.id < $1.id } == [first, merged, cancelled])
        #expect(try await store.history(reference: try BookingReference(parsing: first.reference))?.map(\.reason) == [nil, "Мне неудобно утром"])
        #expect(try await store.history(reference: try BookingReference(parsing: cancelled.reference))?.map(\.reason) == ["дубль"])
        #expect(try await store.storedAnswer(idempotencyKey: "k-1", command: "book", digest: "d")?.reply == reply, "a retry gets the very bytes")
        #expect(try await store.personalData(reference: try BookingReference(parsing: first.reference), eventId: "e-2")
            == PersonalData(contact: Self.ivan, topic: "Налоговый вычет за квартиру", clientMessage: "Мне неудобно утром"))
        // The stored events, masked as new ones are.
        let (replayed, last) = try await store.events(after: 0, limit: 10)
        #expect(last == 4)
        #expect(replayed == events.map(\.withoutPersonalData))
        #expect(replayed[1].reason == nil && replayed[3].reason == "дубль")
        // The blind indexes of the old rows: Ivan's two future bookings fill a limit of two.
        let third = try ContactInfo.validated(name: "Ivan", email: "IVAN.PETROV@example.com", phone: "+79990001122")
        await #expect(throws: BookingRefusal.contactLimitReached(limit: 2, field: .email)) {
            try await store.apply(.book(booking(third, slot: try DateTimeRange(start: later.end, end: later.end.addingTimeInterval(1800)), limit: 2)),
                                  context: tests.context())
        }
        try store.close()

        let pool = try DatabasePool(path: path)
        let pending = try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM settings WHERE key = ?", arguments: [Schema.unsealedPagesSetting])
        }
        try pool.close()
        #expect(pending == 0, "the VACUUM ran")
        // (An admin's reason is no personal data: the events keep it.)
        let found = try PlaintextSearch.occurrences(of: Self.ivansData + ["Anna Smirnova", "anna@example.com", "79035550123"], inFilesUnder: directory)
        #expect(found == [])
    }
}
