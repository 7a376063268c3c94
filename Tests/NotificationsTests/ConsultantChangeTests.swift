import BookingDomain
import BookingProtocol
import Foundation
@testable import Notifications
import Testing

/// A booking moved to another consultant: the old one is released, the new one has a new
/// booking, and the client hears that the consultant changed, not that the time moved.
@Suite struct ConsultantChangeTests {
    static func moved(from previous: BookedSlotBody?, to consultant: String = "irina", start: Date = Fixtures.start) -> EventBody {
        var appointment = Fixtures.appointment()
        appointment.consultantId = consultant
        appointment.start = start
        appointment.end = start.addingTimeInterval(3600)
        appointment.revision = 1
        return EventBody(sequence: 9, id: "e9", kind: .rescheduled, occurredAt: start, appointment: appointment, previous: previous, actor: "system")
    }

    @Test func theSameTimeWithAnotherConsultantIsAConsultantChangeNotAMove() {
        let plan = DeliveryPlan(sms: true, chat: true)
        let planned = plan.deliveries(for: Self.moved(from: BookedSlotBody(consultantId: "boris", start: Fixtures.start)),
                                      consultantsWithEmail: ["irina", "boris"])
        #expect(planned.map(\.id) == [
            "e9.client-consultant-changed.email", "e9.client-consultant-changed.sms", "e9.consultant-created.email",
            "e9.consultant-released.email", "e9.team-consultant-changed.chat",
        ])
        #expect(planned.map(\.audience) == [.client, .client, .consultant, .consultant, .team])
    }

    @Test func anotherTimeWithAnotherConsultantIsAMoveForTheClientAndANewBookingForTheConsultant() {
        let plan = DeliveryPlan(sms: false, chat: true)
        let event = Self.moved(from: BookedSlotBody(consultantId: "boris", start: Fixtures.previousStart))
        #expect(plan.deliveries(for: event, consultantsWithEmail: ["irina", "boris"]).map(\.purpose)
            == [.clientRescheduled, .consultantCreated, .consultantReleased, .teamRescheduled])
        // The one who had it is told only when they have an address.
        #expect(plan.deliveries(for: event, consultantsWithEmail: ["irina"]).map(\.purpose) == [.clientRescheduled, .consultantCreated, .teamRescheduled])
    }

    @Test func theSameConsultantAtAnotherTimeIsARescheduleForEveryone() {
        let event = Self.moved(from: BookedSlotBody(consultantId: "irina", start: Fixtures.previousStart))
        #expect(DeliveryPlan(sms: false, chat: true).deliveries(for: event, consultantsWithEmail: ["irina"]).map(\.purpose)
            == [.clientRescheduled, .consultantRescheduled, .teamRescheduled])
    }

    @Test func theClientReadsThatTheConsultantChangedAndTheTimeStays() throws {
        let library = try Fixtures.library()
        let facts = Fixtures.facts(previousStart: Fixtures.start, previousConsultant: Fixtures.previousConsultant)
        let email = try library.email(.clientConsultantChanged, facts)
        #expect(email.subject == "Консультацию 01.12.2026, 10:00 (Москва) проведёт Ирина Смирнова")
        #expect(email.text.contains("Время вашей консультации не меняется, но её проведёт другой консультант."))
        #expect(email.text.contains("Консультант: Ирина Смирнова\nПрежний консультант: Boris Kuznetsov"))
        #expect(!email.text.contains("перенес"), "never 'moved': \(email.text)")
        let english = try library.email(.clientConsultantChanged, Fixtures.facts(locale: "en", previousStart: Fixtures.start,
                                                                                 previousConsultant: Fixtures.previousConsultant))
        #expect(english.subject == "Your consultation on 1 Dec 2026, 10:00 (Moscow) will be with Ирина Смирнова")
        #expect(!english.text.lowercased().contains("moved") && !english.text.lowercased().contains("rescheduled"))
        let chat = try library.chat(.teamConsultantChanged, facts, markup: .plain)
        #expect(chat.hasPrefix("Смена консультанта BK-7Q2M-****-****-****G: 01.12.2026, 12:00 (Екатеринбург), Boris Kuznetsov → Ирина Смирнова."))
    }

    /// The released consultant reads in their own language and zone (English, Berlin), about the
    /// time they had.
    @Test func theReleasedConsultantReadsTheirOwnLanguageAndTheTimeTheyHad() throws {
        let library = try Fixtures.library()
        let facts = Fixtures.facts(previousStart: Fixtures.previousStart, previousConsultant: Fixtures.previousConsultant)
        let email = try library.email(.consultantReleased, facts)
        #expect(email.subject == "Handed over: 30 Nov 2026, 08:00 (Berlin), Анна Петрова")
        #expect(email.text.hasPrefix("Boris Kuznetsov, a consultation of yours has been handed to Ирина Смирнова; it is off your calendar."))
        #expect(email.text.contains("Time: Monday, 30 November 2026, 08:00 (Berlin)"))
        #expect(email.html.contains("lang=\"en\""))
        #expect(facts.reader(of: .consultantReleased) == Fixtures.previousConsultant)
        #expect(facts.previousAppointment.start == Fixtures.previousStart)
        #expect(facts.previousAppointment.end == Fixtures.previousStart.addingTimeInterval(3600))
        #expect(facts.previousAppointment.consultantId == "boris")
    }

    @Test func aConsultantReadsTheirOwnLanguageWhateverTheClients() throws {
        let library = try Fixtures.library()
        var facts = Fixtures.facts(locale: "ru")
        facts.consultant.locale = .en
        let email = try library.email(.consultantCreated, facts)
        #expect(email.text.hasPrefix("Ирина Смирнова, a client has booked a consultation with you."))
        #expect(try library.calendarEvent(facts, language: .en) != library.calendarEvent(facts, language: .ru))
        // The client's own message stays in the booking's language.
        #expect(try library.email(.clientConfirmation, facts).html.contains("lang=\"ru\""))
    }

    /// An admin's cancellation without a message for the client: a neutral apology, in the
    /// client's language; the client's own cancellation: the plain statement.
    @Test func aCancellationNotTheClientsOwnApologisesNeutrally() throws {
        let library = try Fixtures.library()
        let ours = try library.email(.clientCancelled, Fixtures.facts())
        #expect(ours.text.contains("К сожалению, нам пришлось отменить вашу консультацию. Приносим извинения."))
        #expect(!ours.text.contains("Причина:"))
        let theirs = try library.email(.clientCancelled, Fixtures.facts(locale: "en", changedByClient: true))
        #expect(theirs.text.contains("\nYour consultation has been cancelled.\n"))
        let told = try library.email(.clientCancelled, Fixtures.facts(locale: "en", clientMessage: "The office is closed that day."))
        #expect(told.text.contains("Reason: The office is closed that day."))
    }
}
