import BookingDomain
import BookingProtocol
@testable import BookingStore
import Foundation
import Testing

/// Clients' personal data in bookingd's database: kept out of the events, given whole to
/// those who ask for it.
@Suite struct PersonalDataTests {
    let tests = try! SQLiteBookingStoreTests()
    var store: SQLiteBookingStore { tests.store }
    var later: DateTimeRange { try! DateTimeRange(start: tests.slot.end, end: tests.slot.end.addingTimeInterval(1800)) }

    static let ivan = try! ContactInfo.validated(name: "Иван Петров", email: "ivan.petrov@example.com", phone: "+79161234567", company: "ООО «Ромашка»")
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

    // MARK: Events

    @Test func eventsCarryTheContactMaskedAndNotTheClientsWordsWhileRepliesKeepThemWhole() async throws {
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
    }

    @Test func personalDataGivesTheFullContactAndTheClientsOwnWordsOnTheirChange() async throws {
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
    }
}
