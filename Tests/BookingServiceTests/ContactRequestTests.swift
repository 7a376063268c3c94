import BookingDomain
import BookingProtocol
import CivilTime
import DaemonKit
import Foundation
import SuiteTesting
import Testing

/// `contact`: what notifyd asks bookingd for, since events carry the contact masked. bookingd
/// and availabilityd in this process (whose peers are the daemon itself; who else may ask is
/// `CommandAccess`'s, tested in PeerAccessTests and end to end in AccessTests).
@Suite(.serialized) struct ContactRequestTests {
    @Test func theFullContactTheTopicAndTheClientsOwnWordsOnTheEventsChange() async throws {
        let suite = try await InProcessSuite.start()
        try await BookingCommandsTests.ready(suite)
        let bookingd = try await suite.client(.bookingd)
        let booked: AppointmentBody = try await bookingd.call(MessageType.book, BookRequest(
            start: BookingCommandsTests.instant("2026-12-02T11:00:00+03:00"),
            contact: ContactBody(name: "Иван Петров", email: "Ivan.Petrov@Example.com", phone: "+7 916 123-45-67", company: "ООО «Ромашка»"),
            consultantId: "anna", topic: "Продажа квартиры: налоги"))
        let _: AppointmentBody = try await bookingd.call(MessageType.reschedule, RescheduleRequest(
            reference: booked.reference, start: BookingCommandsTests.instant("2026-12-02T13:00:00+03:00"), reason: "anna болеет",
            clientMessage: "Перенесли на 13:00.", actor: "admin"))
        let _: AppointmentBody = try await bookingd.call(MessageType.cancel, CancelRequest(reference: booked.reference, reason: "Планы изменились"))
        let replay: ReplayReply = try await bookingd.call(MessageType.replay, ReplayRequest(after: 0))
        let (created, moved, cancelled) = (replay.events[0], replay.events[1], replay.events[2])

        let contact = ContactBody(name: "Иван Петров", email: "Ivan.Petrov@example.com", phone: "+79161234567", company: "ООО «Ромашка»")
        let plain: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: booked.reference))
        #expect(plain == ContactReply(reference: booked.reference, contact: contact, topic: "Продажа квартиры: налоги"))
        // The client's reason on their own cancellation; an admin's move has none of theirs.
        let onCancel: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: booked.reference, eventId: cancelled.id))
        #expect(onCancel.clientMessage == "Планы изменились")
        #expect(onCancel.contact == contact)
        for event in [created, moved] {
            let reply: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: booked.reference, eventId: event.id))
            #expect(reply.clientMessage == nil, "\(event.kind)")
        }
        // A reference read as references are (lower case, no dashes), answered in its canonical form.
        let typed = booked.reference.lowercased().replacingOccurrences(of: "-", with: "")
        let loose: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: typed))
        #expect(loose.reference == booked.reference)
        try await suite.stop()
    }

    @Test func anUnknownReferenceIsNotFoundAndAMistypedOneInvalid() async throws {
        let suite = try await InProcessSuite.start()
        let bookingd = try await suite.client(.bookingd)
        func refusal(_ reference: String) async -> ProtocolError? {
            do {
                let _: ContactReply = try await bookingd.call(MessageType.contact, ContactRequest(reference: reference, eventId: "e-1"))
                return nil
            } catch {
                return error as? ProtocolError
            }
        }
        let unknown = await refusal(BookingReference.random().description)
        #expect(unknown?.code == .notFound && unknown?.field == "reference", "\(String(describing: unknown))")
        let mistyped = await refusal("BK-7Q2M-X9TD")
        #expect(mistyped?.code == .invalidReference, "\(String(describing: mistyped))")
        try await suite.stop()
    }
}
